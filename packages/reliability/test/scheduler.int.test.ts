import { afterEach, expect, inject, it, vi } from 'vitest';
import { createEnvelope } from '@agentbus/schema';
import { createRedisTransport, type Consumer, type Transport } from '@agentbus/transport';
import { uniquePrefix } from '@agentbus/test-utils';
import { createReliability } from '../src/index';

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

it('many schedulers moving due retries at once move each exactly once, back to its group in its own lane', async () => {
  const url = inject('redisUrl');
  const namespace = uniquePrefix('sched');
  const transports: Transport[] = [0, 1, 2].map(() => createRedisTransport({ url, namespace }));
  open.push(...transports);
  const [first] = transports;
  const rel = createReliability(first!, { retry: { delaysMs: [300], jitter: 0 }, schedulerIntervalMs: 60_000 });
  open.push(rel);
  const runs = new Map<string, number>();
  const lanes: string[] = [];
  const c = rel.consume('t', (env, ctx) => {
    runs.set(env.id, (runs.get(env.id) ?? 0) + 1);
    if (ctx.attempt === 1) throw new Error('first try fails');
    lanes.push(ctx.lane);
  }, { group: 'g', concurrency: 50 });
  open.push(c);
  const n = 200;
  await first!.publishBatch('t', Array.from({ length: n }, (_, i) => createEnvelope({ type: 'x', from: 'a', payload: i, priority: i % 2 ? 'urgent' : 'low' })));
  await vi.waitFor(async () => expect(await rel.delayed('t')).toBe(n), { timeout: 5000 });

  await new Promise((r) => setTimeout(r, 350));
  const others = transports.map((t) => createReliability(t));
  open.push(...others);
  const moved = await Promise.all(others.flatMap((r) => [r.moveDue('t'), r.moveDue('t')]));
  expect(moved.reduce((a, b) => a + b, 0)).toBe(n);
  await vi.waitFor(() => expect(lanes).toHaveLength(n), { timeout: 5000 });
  expect([...runs.values()].every((v) => v === 2)).toBe(true);
  expect(lanes.filter((l) => l === 'urgent')).toHaveLength(n / 2);
  expect(await rel.delayed('t')).toBe(0);
});

/** Counts the move scripts a transport's connection is asked to run (the group's and version 1's). */
function countMoves(t: Transport): () => number {
  const client = t.redis!;
  const v2 = vi.spyOn(client, 'agentbus_move_due_v2');
  const v1 = vi.spyOn(client, 'agentbus_move_due_v1');
  // ioredis' auto-pipeline calls the command again on its pipeline object: count calls on the client.
  return () => [...v2.mock.contexts, ...v1.mock.contexts].filter((c) => c === client).length;
}

it('each consumer polls only its own group on the partitions it owns, and an empty set only every schedulerRecheckMs', async () => {
  const url = inject('redisUrl');
  const namespace = uniquePrefix('owned');
  const topics = { p: { partitions: 2 } };
  const names = ['a', 'b', 'c'];
  const transports = names.map(() => createRedisTransport({ url, namespace, topics }));
  open.push(...transports);
  const rels = transports.map((t) => createReliability(t, { schedulerIntervalMs: 20, schedulerRecheckMs: 300 }));
  open.push(...rels);
  const consumers: Consumer[] = names.map((name, i) =>
    rels[i]!.consume('p', () => undefined, { group: 'g', consumer: name, blockMs: 50, membershipIntervalMs: 1_000 }),
  );
  open.push(...consumers);
  await Promise.all(consumers.map((c) => c.ready()));
  // Three consumers, two partitions: once shared out, one of them reads none.
  await vi.waitFor(() => {
    const owned = consumers.map((c) => [...c.partitions()]);
    expect(owned.flat().sort()).toEqual([0, 1]);
    expect(owned.filter((o) => o.length === 0)).toHaveLength(1);
  }, { timeout: 20_000, interval: 50 });
  const idle = consumers.findIndex((c) => c.partitions().length === 0);
  // What the idle consumer's scheduler was told it owns, tick by tick (the real answers).
  const asked = vi.spyOn(consumers[idle]!, 'partitions');
  const busy = consumers.findIndex((c) => c.partitions().length > 0);
  const idleMoves = countMoves(transports[idle]!);
  const busyMoves = countMoves(transports[busy]!);

  await new Promise((r) => setTimeout(r, 1_000));
  // 50 ticks of 20 ms each: the consumer that owns nothing asked nothing.
  expect(asked.mock.results.length).toBeGreaterThanOrEqual(20);
  expect(asked.mock.results.every((r) => (r.value as number[]).length === 0)).toBe(true);
  expect(idleMoves()).toBe(0);
  // The owner of one empty set looked at it about every 300 ms (plus version 1's set once), not every tick.
  expect(busyMoves()).toBeGreaterThanOrEqual(1);
  expect(busyMoves()).toBeLessThanOrEqual(7);
  console.log(`tally: ticks 50 per consumer, move calls: owner of ${consumers[busy]!.partitions().length} partition(s) ${busyMoves()}, owner of none ${idleMoves()}`);
});

it('a retry scheduled on a partition is moved when due, whatever the recheck interval', async () => {
  const url = inject('redisUrl');
  const namespace = uniquePrefix('due');
  const transport = createRedisTransport({ url, namespace, topics: { q: { partitions: 4 } } });
  open.push(transport);
  const rel = createReliability(transport, { retry: { delaysMs: [100], jitter: 0 }, schedulerIntervalMs: 20, schedulerRecheckMs: 60_000 });
  open.push(rel);
  const attempts: Array<[number, number]> = [];
  const c = rel.consume('q', (_env, ctx) => {
    attempts.push([ctx.attempt, Date.now()]);
    if (ctx.attempt === 1) throw new Error('once');
  }, { group: 'g', blockMs: 50 });
  open.push(c);
  await c.ready();
  // Let every owned set be looked at once, so each is marked as empty for a minute.
  await new Promise((r) => setTimeout(r, 200));
  await transport.publish('q', createEnvelope({ type: 'x', from: 'a', payload: 1 }));
  await vi.waitFor(() => expect(attempts.map(([a]) => a)).toEqual([1, 2]), { timeout: 3_000, interval: 20 });
  const waited = attempts[1]![1] - attempts[0]![1];
  expect(waited).toBeGreaterThanOrEqual(90);
  expect(waited).toBeLessThan(1_000);
});

it('retries an older version left in the per-topic delayed set are still delivered after an upgrade', async () => {
  const url = inject('redisUrl');
  const namespace = uniquePrefix('legacy');
  const transport = createRedisTransport({ url, namespace });
  open.push(transport);
  const rel = createReliability(transport, { schedulerIntervalMs: 20 });
  open.push(rel);
  const env = createEnvelope({ type: 'x', from: 'a', payload: 'left over', priority: 'high' });
  // As version 1 wrote it: no group, back to the lanes (every group) when due.
  await transport.redis!.zadd(transport.keys.topic('old', 'delayed'), Date.now() - 1, JSON.stringify({ lane: 'high', env: JSON.stringify(env), hdr: JSON.stringify({ attempt: 2 }) }));
  expect(await rel.delayed('old')).toBe(1);
  const got: Array<[string, number, string]> = [];
  const c = rel.consume('old', (e, ctx) => void got.push([e.id, ctx.attempt, ctx.lane]), { group: 'g', blockMs: 50 });
  open.push(c);
  await vi.waitFor(() => expect(got).toEqual([[env.id, 2, 'high']]), { timeout: 3_000 });
  expect(await rel.delayed('old')).toBe(0);
});
