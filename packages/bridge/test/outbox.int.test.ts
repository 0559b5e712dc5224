import { afterAll, beforeAll, describe, expect, it, vi, inject } from 'vitest';
import { createRedisTransport, type Transport } from '@agentbus/transport';
import { uniquePrefix } from '@agentbus/test-utils';
import { UUID_V7_RE, type Envelope, type L1Event } from '@agentbus/schema';
import {
  createRelay,
  L1_ENVELOPE_TYPE,
  loadMigrations,
  migrate,
  recordL1,
  recordL1Many,
  type Relay,
  type RelayedBatch,
} from '../src/index';
import { freshDatabase, l1Event, outboxCount, seqOf, streamOf, type TestDatabase } from './helpers';

let db: TestDatabase;
let transport: Transport;
let relay: Relay;
const batches: RelayedBatch[] = [];

beforeAll(async () => {
  db = await freshDatabase('outbox');
  transport = createRedisTransport({ url: inject('redisUrl'), namespace: uniquePrefix('outbox') });
  relay = createRelay({
    pool: db.pool,
    transport,
    pollIntervalMs: 200,
    backlogIntervalMs: 100,
    hooks: { onRelayed: (_n, _l, b) => void batches.push(b) },
  });
  await relay.ready();
});

afterAll(async () => {
  await relay?.close();
  await transport?.close();
  await db?.close();
});

describe('migrations', () => {
  it('are idempotent, safe to run concurrently, and refuse an edited migration', async () => {
    const again = await Promise.all([migrate(db.pool), migrate(db.pool), migrate(db.pool)]);
    for (const r of again) expect(r).toEqual({ applied: [], version: 2 });
    const [first] = loadMigrations();
    await expect(migrate(db.pool, [{ ...first!, checksum: 'edited' }])).rejects.toMatchObject({ code: 'CONFLICT' });
  });
});

describe('transactional outbox', () => {
  it('rollback: no event; commit: exactly one event', async () => {
    const client = await db.pool.connect();
    try {
      await client.query('CREATE TABLE IF NOT EXISTS memory_log (id bigserial PRIMARY KEY, note text)');
      await client.query('BEGIN');
      await client.query("INSERT INTO memory_log (note) VALUES ('rolled back')");
      await recordL1(client, l1Event('txn', 1));
      await client.query('ROLLBACK');

      await client.query('BEGIN');
      const { rows } = await client.query<{ id: string }>("INSERT INTO memory_log (note) VALUES ('kept') RETURNING id::text");
      const recorded = await recordL1(client, { ...l1Event('txn', 2), base_log_id: rows[0]!.id });
      await client.query('COMMIT');
      expect(recorded.eventId).toMatch(UUID_V7_RE);

      await vi.waitFor(async () => expect(await outboxCount(db.pool)).toBe(0), { timeout: 5000 });
      // Give a stray second publish time to show up.
      await new Promise((r) => setTimeout(r, 300));
      const events = await streamOf(transport, 'txn');
      expect(events.map(seqOf)).toEqual([2]);
      expect(events[0]).toMatchObject({ id: recorded.eventId, type: L1_ENVELOPE_TYPE, to: 'mem0.recorded.txn', from: 'agentbus-bridge' });
      expect(events[0]!.payload).toMatchObject({ base_log_id: rows[0]!.id, source_module: 'txn', event_type: 'event_log' });
    } finally {
      client.release();
    }
  });

  it('keeps the order of a module across batches, and many rows in one insert', async () => {
    const recorded = await recordL1Many(db.pool, Array.from({ length: 1200 }, (_, i) => l1Event('many', i)));
    expect(recorded).toHaveLength(1200);
    expect(new Set(recorded.map((r) => r.eventId)).size).toBe(1200);
    await vi.waitFor(async () => expect((await streamOf(transport, 'many')).length).toBe(1200), { timeout: 10_000 });
    expect((await streamOf(transport, 'many')).map(seqOf)).toEqual(Array.from({ length: 1200 }, (_, i) => i));
    expect(await recordL1Many(db.pool, [])).toEqual([]);
  });

  it('carries the trace: traceparent given, or built from a W3C trace_id; request_id as correlationId', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await recordL1(db.pool, { ...l1Event('trace', 1), trace_id: 'x', request_id: 'req-1' }, { traceparent });
    await recordL1(db.pool, { ...l1Event('trace', 2), trace_id: '4bf92f35-77b3-4da6-a3ce-929d0e0e4736' });
    await recordL1(db.pool, { ...l1Event('trace', 3), trace_id: 'not-a-trace' });
    let events: Envelope<L1Event>[] = [];
    await vi.waitFor(async () => expect((events = await streamOf(transport, 'trace')).length).toBe(3), { timeout: 5000 });
    expect(events[0]).toMatchObject({ traceparent, correlationId: 'req-1' });
    expect(events[1]!.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    expect(events[2]!.traceparent).toBeUndefined();
    expect(events[2]!.correlationId).toBeUndefined();
  });

  it('rejects an invalid event or traceparent inside the writer transaction', async () => {
    await expect(recordL1(db.pool, { ...l1Event('bad', 1), source_module: 'has.dot' })).rejects.toMatchObject({ code: 'INVALID_MESSAGE' });
    await expect(recordL1(db.pool, l1Event('bad', 1), { traceparent: 'nope' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('relays rows written with plain SQL (a Python agent) and sets aside the ones that are no L1 event', async () => {
    const event = (seq: number) => JSON.stringify({ ...l1Event('plain', seq), timestamp: '2025-01-01T00:00:00Z' });
    await db.pool.query(
      `INSERT INTO agentbus_bridge.outbox (source_module, event) VALUES
       ('plain', $1::json), ('plain', '{"not":"an event"}'), ('other', $2::json), ('plain', $3::json)`,
      [event(1), event(2), event(3)],
    );
    await vi.waitFor(async () => expect(await outboxCount(db.pool)).toBe(0), { timeout: 5000 });
    expect((await streamOf(transport, 'plain')).map(seqOf)).toEqual([1, 3]);
    const { rows } = await db.pool.query<{ source_module: string; error: string }>('SELECT source_module, error FROM agentbus_bridge.outbox_dead ORDER BY id');
    expect(rows).toHaveLength(2);
    expect(rows[0]!.error).toMatch(/not a valid L1 event/);
    expect(rows[1]).toMatchObject({ source_module: 'other' });
    expect(rows[1]!.error).toMatch(/differs from the event's "plain"/);
    expect(relay.stats().dead).toBe(2);
  });

  it('exposes stats, backlog and per-event latency', async () => {
    await vi.waitFor(() => expect(relay.stats().backlog).toBe(0), { timeout: 5000 });
    const s = relay.stats();
    expect(s).toMatchObject({ state: 'running', listening: true, duplicates: 0, failures: 0 });
    expect(s.relayed).toBeGreaterThan(1200);
    expect(s.lastLatencyMs).toBeGreaterThanOrEqual(0);
    expect(await relay.backlog()).toEqual({ rows: 0, oldestAgeMs: null });
    const events = batches.flatMap((b) => b.events);
    expect(events.every((e) => e.latencyMs >= 0 && !e.duplicate)).toBe(true);
  });
});
