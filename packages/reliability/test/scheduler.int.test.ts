import { afterEach, expect, inject, it, vi } from 'vitest';
import { createEnvelope } from '@agentbus/schema';
import { createRedisTransport, type Transport } from '@agentbus/transport';
import { uniquePrefix } from '@agentbus/test-utils';
import { createReliability } from '../src/index';

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

it('many schedulers moving due retries at once move each exactly once, into its own lane', async () => {
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
