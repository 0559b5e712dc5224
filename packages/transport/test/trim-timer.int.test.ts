import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { createEnvelope, type Envelope } from '@agentbus/schema';
import type { Redis } from 'ioredis';
import {
  createMemoryStore,
  createRedisClient,
  createMemoryTransport,
  createRedisTransport,
  type Transport,
  type TransportOptions,
} from '../src/index';

const open: Transport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

function envelopes(n: number): Envelope[] {
  return Array.from({ length: n }, (_, i) => createEnvelope({ type: 'trim.test', from: 'test', payload: { i } }));
}

function redis(namespace: string, options: TransportOptions): Transport {
  const t = createRedisTransport({ url: inject('redisUrl'), namespace, ...options });
  open.push(t);
  return t;
}

function memory(options: TransportOptions & { store?: ReturnType<typeof createMemoryStore> }): Transport {
  const t = createMemoryTransport(options);
  open.push(t);
  return t;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const retention = { topicDefaults: { retention: { maxLen: 2 } } };

describe('retention runs from a timer', () => {
  it('trims a topic published to once and never again (Redis)', async () => {
    const t = redis(`t-timer-${process.pid}-${Date.now()}`, { trimIntervalMs: 200, ...retention });
    await t.publishBatch('idle', envelopes(5));
    await vi.waitFor(async () => expect((await t.stats('idle')).length).toBe(2), { timeout: 5_000, interval: 50 });
  });

  it('trims a topic published to once and never again (memory)', async () => {
    const t = memory({ trimIntervalMs: 100, ...retention });
    await t.publishBatch('idle', envelopes(5));
    await vi.waitFor(async () => expect((await t.stats('idle')).length).toBe(2), { timeout: 5_000, interval: 50 });
  });

  it('trims a topic this process only consumes', async () => {
    const store = createMemoryStore();
    const producer = memory({ store, trimIntervalMs: 0 });
    const worker = memory({ store, trimIntervalMs: 100, ...retention });
    await producer.publishBatch('work', envelopes(6));
    const c = worker.consume('work', () => undefined, { group: 'g', blockMs: 50 });
    await vi.waitFor(async () => {
      expect(c.counters().acked).toBe(6);
      expect((await producer.stats('work')).length).toBe(2);
    }, { timeout: 5_000, interval: 50 });
  });

  it('with trimIntervalMs 0 only trim() trims', async () => {
    const t = memory({ trimIntervalMs: 0, ...retention });
    await t.publishBatch('manual', envelopes(5));
    await sleep(150);
    expect((await t.stats('manual')).length).toBe(5);
    expect(await t.trim('manual')).toEqual({ trimmed: 3, droppedUnacked: 0 });
  });

  it('refuses a trimIntervalMs that is not a number', () => {
    expect(() => createMemoryTransport({ trimIntervalMs: Number.NaN })).toThrow(/trimIntervalMs/);
  });

  it('two transports on one Redis do not both trim a topic in one interval, and close stops the timer', async () => {
    const namespace = `t-timer2-${process.pid}-${Date.now()}`;
    const intervalMs = 300;
    const a = redis(namespace, { trimIntervalMs: intervalMs, ...retention });
    const b = redis(namespace, { trimIntervalMs: intervalMs, ...retention });
    const lane = a.keys.lane('shared', 'normal');
    // MONITOR shows every trim call on the topic's main lane, with the server's time and the caller.
    const watcher = createRedisClient({ url: inject('redisUrl') }) as Redis;
    const monitor = await watcher.monitor();
    const passes: Array<{ at: number; by: string }> = [];
    monitor.on('monitor', (time: string, args: string[], source: string) => {
      // Publishes run a script on the lane too (dedupe); a trim's second key is the dropped counter.
      if (!/^eval/i.test(args[0] ?? '') || args[3] !== lane || !(args[4] ?? '').endsWith(':dropped')) return;
      const at = Number(time) * 1000;
      const last = passes[passes.length - 1];
      // A NOSCRIPT retry (EVALSHA, then EVAL) is the same call.
      if (last && last.by === source && at - last.at < intervalMs / 3) return;
      passes.push({ at, by: source });
    });
    try {
      // Both know the topic from the same moment, so without the lock their timers would trim it together.
      await Promise.all([a.publishBatch('shared', envelopes(5)), b.publishBatch('shared', envelopes(5))]);
      await sleep(intervalMs * 5.5);
      await Promise.all([a.close(), b.close()]);
      const made = passes.length;
      expect(made).toBeGreaterThanOrEqual(2);
      expect(made).toBeLessThanOrEqual(6);
      for (let i = 1; i < passes.length; i++) {
        // The lock lasts one interval: the next trim of the topic, by either process, comes after
        // it (less the time between taking the lock and reaching this lane, on a loaded machine).
        expect(passes[i]!.at - passes[i - 1]!.at).toBeGreaterThan(intervalMs * 0.5);
      }
      await sleep(intervalMs * 2);
      expect(passes.length).toBe(made);
    } finally {
      monitor.disconnect();
      watcher.disconnect();
    }
  });
});
