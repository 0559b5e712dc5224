import { afterAll, expect, it, vi } from 'vitest';
import { createRedisTransport, type Transport } from '@agentbus/transport';
import { startRedis, uniquePrefix, type RedisServer } from '@agentbus/test-utils';
import { createRelay, recordL1, type Relay } from '../src/index';
import { freshDatabase, l1Event, outboxCount, seqOf, streamOf, type TestDatabase } from './helpers';

let server: RedisServer | undefined;
let db: TestDatabase | undefined;
let transport: Transport | undefined;
let relay: Relay | undefined;
afterAll(async () => {
  await relay?.close();
  await transport?.close();
  await db?.close();
  await server?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percentile = (values: number[], p: number): number => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
};

it('Redis down for 10 s: writes keep committing at normal speed, the backlog drains, nothing is lost', async () => {
  // AOF with fsync always: what was in the stream before the crash is still there after restart.
  server = await startRedis('durable');
  db = await freshDatabase('outage');
  await db.pool.query('CREATE TABLE notes (id bigserial PRIMARY KEY, body text NOT NULL)');
  transport = createRedisTransport({ url: server.url, namespace: uniquePrefix('outage'), maxReconnectDelayMs: 250 });
  let maxBacklog = 0;
  relay = createRelay({
    pool: db.pool,
    transport,
    pollIntervalMs: 100,
    maxBackoffMs: 500,
    publishTimeoutMs: 1_000,
    backlogIntervalMs: 200,
    hooks: { onBacklog: (b) => void (maxBacklog = Math.max(maxBacklog, b.rows)) },
  });
  await relay.ready();

  // One writer doing what an agent's memory write does: a business row and its L1 event, one transaction.
  const commits: Record<'up' | 'down' | 'back', number[]> = { up: [], down: [], back: [] };
  let phase: keyof typeof commits = 'up';
  let seq = 0;
  let stop = false;
  const writer = (async () => {
    const client = await db!.pool.connect();
    try {
      while (!stop) {
        const t = performance.now();
        await client.query('BEGIN');
        await client.query('INSERT INTO notes (body) VALUES ($1)', [`note ${seq}`]);
        await recordL1(client, l1Event('outage', seq));
        await client.query('COMMIT');
        commits[phase].push(performance.now() - t);
        seq++;
        await sleep(2);
      }
    } finally {
      client.release();
    }
  })();

  await sleep(2_000);
  phase = 'down';
  await server.kill();
  await sleep(10_000);
  phase = 'back';
  await server.restart();
  await sleep(1_000);
  stop = true;
  await writer;
  await vi.waitFor(async () => expect(await outboxCount(db!.pool)).toBe(0), { timeout: 20_000, interval: 100 });

  const seqs = (await streamOf(transport, 'outage')).map(seqOf);
  const rate = (k: keyof typeof commits, seconds: number) => commits[k].length / seconds;
  const fmt = (k: keyof typeof commits) =>
    `${commits[k].length} commits, p50 ${percentile(commits[k], 50).toFixed(2)} ms, p95 ${percentile(commits[k], 95).toFixed(2)} ms`;
  console.log(
    `tally (redis appendfsync always): written ${seq}, in stream ${seqs.length}, unique ${new Set(seqs).size}, lost ${seq - new Set(seqs).size}; ` +
      `backlog peak ${maxBacklog}; redis up: ${fmt('up')}; redis down: ${fmt('down')}; failed batches ${relay.stats().failures}`,
  );
  expect(seqs).toEqual(Array.from({ length: seq }, (_, i) => i));
  expect(relay.stats().failures).toBeGreaterThan(0);
  expect(maxBacklog).toBeGreaterThan(100);
  // Loose bounds (a shared 2-core box): the outage must not slow the writer in any way that matters.
  // A quarter: the relay's retries share the 2 cores with the writer, and other load may land in
  // either phase; a writer blocked by the outage would commit next to nothing.
  expect(rate('down', 10)).toBeGreaterThan(rate('up', 2) * 0.25);
  expect(percentile(commits.down, 50)).toBeLessThan(percentile(commits.up, 50) * 3 + 3);
  expect(percentile(commits.down, 95)).toBeLessThan(percentile(commits.up, 95) * 3 + 20);
});
