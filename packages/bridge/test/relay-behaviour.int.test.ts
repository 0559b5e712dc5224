import { afterEach, expect, inject, it, vi } from 'vitest';
import type { Envelope } from '@agentbus/schema';
import { createRedisTransport, type Transport } from '@agentbus/transport';
import { uniquePrefix } from '@agentbus/test-utils';
import { createRelay, recordL1, recordL1Many, type DeadRow, type Relay } from '../src/index';
import { freshDatabase, l1Event, outboxCount, seqOf, streamOf, type TestDatabase } from './helpers';

let db: TestDatabase | undefined;
let transport: Transport | undefined;
let relay: Relay | undefined;
afterEach(async () => {
  await relay?.close();
  await transport?.close();
  await db?.close();
  relay = undefined;
  transport = undefined;
  db = undefined;
});

it('sets aside a row the bus refuses (too large) and relays the rows around it in order', async () => {
  db = await freshDatabase('refused');
  transport = createRedisTransport({ url: inject('redisUrl'), namespace: uniquePrefix('refused'), codec: { maxBytes: 4096 } });
  const dead: DeadRow[] = [];
  relay = createRelay({ pool: db.pool, transport, pollIntervalMs: 100, hooks: { onDead: (rows) => void dead.push(...rows) } });
  await recordL1Many(db.pool, [l1Event('big', 0), l1Event('big', 1, { blob: 'x'.repeat(8000) }), l1Event('big', 2)]);
  await vi.waitFor(async () => expect(await outboxCount(db!.pool)).toBe(0), { timeout: 5000 });
  expect((await streamOf(transport, 'big')).map(seqOf)).toEqual([0, 2]);
  expect(dead).toHaveLength(1);
  // The bus's own refusal, for the size, against the limit set above.
  expect(dead[0]!.error).toMatch(/^refused by the bus: .*\b\d+ bytes\b.*\b4096\b/);
  const { rows } = await db.pool.query('SELECT id::text, error FROM agentbus_bridge.outbox_dead');
  expect(rows).toEqual([{ id: dead[0]!.outboxId, error: dead[0]!.error }]);
});

it('Pub/Sub notify on the topic channel; polling alone when LISTEN is off; a throwing hook does not stop it', async () => {
  db = await freshDatabase('pubsub');
  transport = createRedisTransport({ url: inject('redisUrl'), namespace: uniquePrefix('pubsub') });
  const heard: Envelope[] = [];
  const sub = transport.pubsub.subscribe('mem0.recorded.live', (env) => void heard.push(env));
  await sub.ready();
  const errors: Error[] = [];
  relay = createRelay({
    pool: db.pool,
    transport,
    pubsub: true,
    listen: false,
    pollIntervalMs: 50,
    backlogIntervalMs: 0,
    hooks: {
      onRelayed: () => {
        throw new Error('hook bug');
      },
      onError: (e) => void errors.push(e),
    },
  });
  await relay.ready();
  expect(relay.stats().listening).toBe(false);
  const recorded = await recordL1(db.pool, l1Event('live', 1));
  await vi.waitFor(() => expect(heard.map((e) => e.id)).toEqual([recorded.eventId]), { timeout: 5000 });
  expect((await streamOf(transport, 'live')).map((e) => e.id)).toEqual([recorded.eventId]);
  expect(errors.map((e) => e.message)).toContain('hook bug');
  expect(relay.stats().backlog).toBeNull();
  await sub.unsubscribe();
});

it('re-establishes LISTEN when its connection is killed, and wakes at once on a commit', async () => {
  db = await freshDatabase('listen');
  transport = createRedisTransport({ url: inject('redisUrl'), namespace: uniquePrefix('listen') });
  const errors: Error[] = [];
  // A long poll interval: only a notification can make the relay quick.
  relay = createRelay({ pool: db.pool, transport, pollIntervalMs: 60_000, minBackoffMs: 50, maxBackoffMs: 100, hooks: { onError: (e) => void errors.push(e) } });
  await relay.ready();
  expect(relay.stats().listening).toBe(true);
  await db.pool.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'LISTEN agentbus_bridge_outbox'");
  await vi.waitFor(() => expect(errors.length).toBeGreaterThan(0), { timeout: 5000, interval: 10 });
  await vi.waitFor(() => expect(relay!.stats().listening).toBe(true), { timeout: 5000, interval: 10 });
  const t = performance.now();
  await recordL1(db.pool, l1Event('wake', 1));
  await vi.waitFor(async () => expect((await streamOf(transport!, 'wake')).length).toBe(1), { timeout: 5000, interval: 5 });
  expect(performance.now() - t).toBeLessThan(2000);
});

it('gives the batch back while Redis is unreachable: the row waits in PostgreSQL', async () => {
  db = await freshDatabase('unreachable');
  // Nothing listens on port 1: the connection stays down.
  transport = createRedisTransport({ url: 'redis://127.0.0.1:1', namespace: uniquePrefix('unreach'), maxReconnectDelayMs: 100 });
  const errors: Error[] = [];
  relay = createRelay({ pool: db.pool, transport, pollIntervalMs: 50, minBackoffMs: 20, maxBackoffMs: 50, publishTimeoutMs: 300, hooks: { onError: (e) => void errors.push(e) } });
  await recordL1(db.pool, l1Event('never', 1));
  await vi.waitFor(() => expect(relay!.stats().failures).toBeGreaterThan(2), { timeout: 10_000 });
  expect(relay.stats().state).toBe('backoff');
  expect(errors.some((e) => /CONNECTION|Redis|within/i.test(e.message))).toBe(true);
  expect(await outboxCount(db.pool)).toBe(1);
  await relay.close();
  expect(relay.stats().state).toBe('closed');
});

it('refuses bad options', () => {
  const base = { pool: {} as never, transport: {} as never };
  expect(() => createRelay({ ...base, batchSize: 0 })).toThrow(/batchSize/);
  expect(() => createRelay({ ...base, maxModulesPerBatch: 1.5 })).toThrow(/maxModulesPerBatch must be an integer >= 1/);
  expect(() => createRelay({ ...base, pollIntervalMs: -1 })).toThrow(/pollIntervalMs/);
  expect(() => createRelay({ ...base, backlogIntervalMs: -1 })).toThrow(/backlogIntervalMs/);
  expect(() => createRelay({ ...base, publishTimeoutMs: 20_000 })).toThrow(/half of leaseMs/);
  expect(() => createRelay({ ...base, dedupeWindowMs: 1000 })).toThrow(/longer than leaseMs/);
});
