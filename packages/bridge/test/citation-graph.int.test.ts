import { afterAll, expect, inject, it, vi } from 'vitest';
import { createRedisTransport, type Transport } from '@agentbus/transport';
import { uniquePrefix } from '@agentbus/test-utils';
import {
  CitationGraphSubscriber,
  citationEdgesOf,
  createCitationTable,
  createRelay,
  recordL1,
  type Relay,
} from '../src/index';
import { freshDatabase, l1Event, type TestDatabase } from './helpers';

let db: TestDatabase | undefined;
let transport: Transport | undefined;
let relay: Relay | undefined;
let graph: CitationGraphSubscriber | undefined;
afterAll(async () => {
  await graph?.stop();
  await relay?.close();
  await transport?.close();
  await db?.close();
});

const finding = (id: string, worker: string, citations: string[]) => ({
  id,
  claim: `claim ${id}`,
  confidence: 0.9,
  citations,
  speech_act: 'inform',
  worker_id: worker,
  timestamp: '2025-11-30T12:00:00Z',
});

it('example L2 consumer: keeps a who-cited-what edge table from findings recorded in L1', async () => {
  db = await freshDatabase('citations');
  await createCitationTable(db.pool);
  await createCitationTable(db.pool); // idempotent
  transport = createRedisTransport({ url: inject('redisUrl'), namespace: uniquePrefix('cite') });
  relay = createRelay({ pool: db.pool, transport, pollIntervalMs: 100 });
  graph = new CitationGraphSubscriber({ pool: db.pool, transport, batchWaitMs: 5 });
  await graph.start();

  // A finding written by an agent, in the same transaction as its L1 log row.
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN');
    await recordL1(client, { ...l1Event('findings', 1), data: { finding: finding('f1', 'worker-a', ['https://example.org/paper', 'if://citation/x']) } });
    await client.query('COMMIT');
  } finally {
    client.release();
  }
  // The data may also be the finding itself; a finding citing another finding is an edge between findings.
  await recordL1(db.pool, { ...l1Event('findings', 2), data: finding('f2', 'worker-b', ['finding:f1', 'https://example.org/paper']) });
  // The same finding recorded again (an edit, or a redelivery) adds nothing.
  await recordL1(db.pool, { ...l1Event('findings', 3), data: finding('f2', 'worker-b', ['finding:f1']) });
  // Not a finding: no edges, still acked.
  await recordL1(db.pool, l1Event('findings', 4, { note: 'no citations here' }));

  await vi.waitFor(() => expect(graph!.counters().succeeded).toBe(4), { timeout: 10_000, interval: 50 });
  expect((await graph.citedBy('https://example.org/paper')).map((e) => [e.findingId, e.workerId])).toEqual([
    ['f1', 'worker-a'],
    ['f2', 'worker-b'],
  ]);
  expect(await graph.citedBy('finding:f1')).toEqual([
    { findingId: 'f2', cited: 'finding:f1', workerId: 'worker-b', sourceModule: 'findings', baseLogId: '2' },
  ]);
  const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM agentbus_l2.citation_edges');
  expect(rows[0]!.n).toBe(4);
});

it('citationEdgesOf: findings only, citations deduplicated', () => {
  const event = { ...l1Event('findings', 1), base_log_id: '1', timestamp: '2025-01-01T00:00:00.000Z', trace_id: null, request_id: null, event_type: 'event_log' as const };
  expect(citationEdgesOf({ event: { ...event, data: finding('f', 'w', ['a:1', 'a:1']) } })).toHaveLength(1);
  expect(citationEdgesOf({ event: { ...event, data: { id: 'x' } } })).toEqual([]);
  expect(citationEdgesOf({ event: { ...event, data: { id: 'x', citations: ['a:1'] } } })[0]!.workerId).toBeNull();
});
