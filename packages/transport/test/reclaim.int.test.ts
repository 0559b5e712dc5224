import { afterEach, expect, inject, it, vi } from 'vitest';
import { createEnvelope, encodeEnvelope } from '@agentbus/schema';
import { uniquePrefix } from '@agentbus/test-utils';
import { createRedisClient, createRedisTransport, type Consumer, type RedisClient, type Transport } from '../src/index';

let transport: Transport | undefined;
let raw: RedisClient | undefined;
const consumers: Consumer[] = [];
afterEach(async () => {
  await Promise.all(consumers.splice(0).map((c) => c.close(0)));
  await transport?.close();
  raw?.disconnect();
});

function wire(n: number): string {
  const encoded = encodeEnvelope(createEnvelope({ type: 'job', from: 'test', payload: { n } }));
  if (!encoded.ok) throw encoded.error;
  return encoded.value;
}

async function setup(name: string): Promise<{ t: Transport; r: RedisClient; stream: string }> {
  const url = inject('redisUrl');
  transport = createRedisTransport({ url, namespace: uniquePrefix(name) });
  raw = createRedisClient({ url });
  return { t: transport, r: raw, stream: transport.keys.lane('jobs', 'normal') };
}

it('follows the XAUTOCLAIM cursor: a dead consumer\'s entries deep behind a busy head are all reclaimed', async () => {
  const { t, r, stream } = await setup('deep-pending');
  await r.xgroup('CREATE', stream, 'workers', '0', 'MKSTREAM');
  const pipeline = r.pipeline();
  for (let n = 0; n < 600; n++) pipeline.xadd(stream, '*', 'env', wire(n));
  await pipeline.exec();
  // A live holder keeps the 100 oldest entries busy (its lease renewed); a dead one holds 500 behind.
  const busy = (await r.xreadgroup('GROUP', 'workers', 'busy', 'COUNT', 100, 'STREAMS', stream, '>')) as Array<[string, Array<[string, string[]]>]>;
  const busyIds = busy[0]![1].map(([id]) => id);
  await r.xreadgroup('GROUP', 'workers', 'dead', 'COUNT', 500, 'STREAMS', stream, '>');
  const renew = setInterval(() => void r.call('XCLAIM', stream, 'workers', 'busy', 0, ...busyIds, 'JUSTID'), 50);
  try {
    await new Promise((res) => setTimeout(res, 250));
    const handled = new Set<number>();
    // Window 5: XAUTOCLAIM COUNT 5 looks at 50 pending entries per call, all busy at the head.
    const c = t.consume('jobs', (env) => void handled.add((env.payload as { n: number }).n), {
      group: 'workers', consumer: 'survivor', concurrency: 5, prefetch: 0, claimIdleMs: 200, claimIntervalMs: 50,
    });
    consumers.push(c);
    await vi.waitFor(() => expect(handled.size).toBe(500), { timeout: 20_000, interval: 50 });
    expect(Math.min(...handled)).toBe(100);
    expect(c.counters().reclaimed).toBe(500);
  } finally {
    clearInterval(renew);
  }
});

it('an entry deleted while pending is settled and counted, not left pending forever', async () => {
  const { t, r, stream } = await setup('xdel-pending');
  await r.xgroup('CREATE', stream, 'workers', '0', 'MKSTREAM');
  const ids: string[] = [];
  for (let n = 0; n < 3; n++) ids.push((await r.xadd(stream, '*', 'env', wire(n)))!);
  await r.xreadgroup('GROUP', 'workers', 'dead', 'COUNT', 3, 'STREAMS', stream, '>');
  await r.xdel(stream, ids[1]!);
  await new Promise((res) => setTimeout(res, 250));
  const handled: number[] = [];
  const c = t.consume('jobs', (env) => void handled.push((env.payload as { n: number }).n), {
    group: 'workers', consumer: 'survivor', claimIdleMs: 200, claimIntervalMs: 50,
  });
  consumers.push(c);
  await vi.waitFor(async () => {
    expect(handled.sort()).toEqual([0, 2]);
    expect(c.counters().deleted).toBe(1);
    const summary = (await r.xpending(stream, 'workers')) as [number, ...unknown[]];
    expect(summary[0]).toBe(0);
  }, { timeout: 10_000, interval: 50 });
});
