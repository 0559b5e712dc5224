import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import { createEnvelope } from '@agentbus/schema';
import { createReliability, PermanentError } from '@agentbus/reliability';
import { createRedisTransport, type Transport } from '@agentbus/transport';
import { uniquePrefix } from '@agentbus/test-utils';
import { createMetrics, METRIC_NAMES as N, type Metrics, type MetricsOptions } from '../src/index';
import { sampleValue } from './support/prom-text';

const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

function setup(options: MetricsOptions = {}): { metrics: Metrics; transport: Transport } {
  const metrics = createMetrics(options);
  const transport = createRedisTransport({ url: inject('redisUrl'), namespace: uniquePrefix('metrics'), hooks: metrics.transportHooks() });
  open.push(metrics, transport);
  return { metrics, transport };
}

const job = (n: number, extra: { ttlMs?: number; ts?: number } = {}) =>
  createEnvelope({ type: 'job', from: 'test', payload: { n }, ...extra });

describe('the /metrics text after real traffic through Redis', () => {
  it('100 published, 97 acked, 3 dead-lettered by a PermanentError: every counter and histogram moved by exactly that', async () => {
    const { metrics, transport } = setup();
    const rel = createReliability(transport, { hooks: metrics.reliabilityHooks(), schedulerIntervalMs: 50 });
    open.push(rel);
    metrics.watchTopics({ topics: ['jobs'], stats: transport, deadLetters: rel.deadLetters });
    const poisoned = new Set([7, 42, 77]);
    let handled = 0;
    open.push(
      rel.consume(
        'jobs',
        async (env) => {
          const { n } = env.payload as { n: number };
          if (poisoned.has(n)) throw new PermanentError(`job ${n} can never work`);
          handled++;
        },
        { group: 'workers', concurrency: 8 },
      ),
    );
    // Both publish paths: 40 single publishes, one batch of 60.
    for (let n = 0; n < 40; n++) await transport.publish('jobs', job(n));
    await transport.publishBatch('jobs', Array.from({ length: 60 }, (_, i) => job(40 + i)));

    await vi.waitFor(async () => expect(await rel.deadLetters.depth('jobs')).toBe(3), { timeout: 10_000, interval: 50 });
    await vi.waitFor(() => expect(handled).toBe(97), { timeout: 10_000 });
    await vi.waitFor(async () => expect((await transport.stats('jobs')).groups[0]!.pending).toBe(0), { timeout: 5000 });

    const text = await metrics.metrics();
    const topic = { topic: 'jobs' };
    // Logged as scraped, before any check: the log reports the run, whatever it counted.
    const tally = {
      published: sampleValue(text, N.published, topic),
      acked: sampleValue(text, N.acked, topic),
      deadLettered: sampleValue(text, N.deadLettered, { topic: 'jobs', reason: 'handler-error' }),
    };
    console.log(`tally: published ${tally.published}, acked ${tally.acked}, dead-lettered ${tally.deadLettered}`);
    expect(tally).toEqual({ published: 100, acked: 97, deadLettered: 3 });
    expect(sampleValue(text, N.delivered, topic)).toBe(100);
    expect(sampleValue(text, N.rejected, { topic: 'jobs', reason: 'handler-error' })).toBe(3);
    expect(sampleValue(text, N.retried, topic)).toBeUndefined();
    expect(sampleValue(text, N.expired, topic)).toBeUndefined();
    expect(sampleValue(text, `${N.publishDuration}_count`, topic)).toBe(100);
    expect(sampleValue(text, `${N.publishDuration}_bucket`, { topic: 'jobs', le: '+Inf' })).toBe(100);
    expect(sampleValue(text, `${N.publishDuration}_sum`, topic)).toBeGreaterThan(0);
    expect(sampleValue(text, `${N.handlerDuration}_count`, topic)).toBe(97);
    expect(sampleValue(text, `${N.endToEndLatency}_count`, topic)).toBe(97);
    expect(sampleValue(text, `${N.endToEndLatency}_bucket`, { topic: 'jobs', le: '300' })).toBe(97);
    // The collector: nothing left to deliver or ack, one consumer, three dead letters waiting.
    expect(sampleValue(text, N.consumerLag, { topic: 'jobs', group: 'workers' })).toBe(0);
    expect(sampleValue(text, N.consumerPending, { topic: 'jobs', group: 'workers' })).toBe(0);
    expect(sampleValue(text, N.groupConsumers, { topic: 'jobs', group: 'workers' })).toBe(1);
    expect(sampleValue(text, N.streamLength, topic)).toBe(100);
    expect(sampleValue(text, N.droppedUnacked, topic)).toBe(0);
    expect(sampleValue(text, N.deadLetterDepth, topic)).toBe(3);
    expect(sampleValue(text, N.collectErrors, { source: 'stats' })).toBeUndefined();
  });

  it('a handler error retried once counts a retry, a second delivery and one ack', async () => {
    const { metrics, transport } = setup();
    const rel = createReliability(transport, {
      hooks: metrics.reliabilityHooks(),
      retry: { delaysMs: [50], jitter: 0 },
      schedulerIntervalMs: 25,
    });
    open.push(rel);
    const failedOnce = new Set<number>();
    let acked = 0;
    open.push(
      rel.consume(
        'flaky',
        (env) => {
          const { n } = env.payload as { n: number };
          if (n < 2 && !failedOnce.has(n)) {
            failedOnce.add(n);
            throw new Error(`transient ${n}`);
          }
          acked++;
        },
        { group: 'g' },
      ),
    );
    await transport.publishBatch('flaky', Array.from({ length: 10 }, (_, n) => job(n)));
    await vi.waitFor(() => expect(acked).toBe(10), { timeout: 5000 });
    const text = await metrics.metrics();
    const topic = { topic: 'flaky' };
    expect(sampleValue(text, N.published, topic)).toBe(10);
    expect(sampleValue(text, N.delivered, topic)).toBe(12);
    expect(sampleValue(text, N.acked, topic)).toBe(10);
    expect(sampleValue(text, N.retried, topic)).toBe(2);
    expect(sampleValue(text, N.rejected, { topic: 'flaky', reason: 'handler-error' })).toBe(2);
    expect(sampleValue(text, N.deadLettered, { topic: 'flaky', reason: 'handler-error' })).toBeUndefined();
    expect(sampleValue(text, `${N.endToEndLatency}_count`, topic)).toBe(10);
    // The two retried messages waited out the 50 ms backoff before their ack.
    expect(sampleValue(text, `${N.endToEndLatency}_bucket`, { topic: 'flaky', le: '0.025' })).toBeLessThanOrEqual(8);
  });

  it('an expired envelope is counted expired and rejected, dead-lettered as expired, never delivered', async () => {
    const { metrics, transport } = setup();
    const rel = createReliability(transport, { hooks: metrics.reliabilityHooks() });
    open.push(rel);
    let ran = 0;
    open.push(rel.consume('ttl', () => void ran++, { group: 'g' }));
    await transport.publish('ttl', job(1, { ttlMs: 1, ts: Date.now() - 60_000 }));
    await vi.waitFor(async () => expect(await rel.deadLetters.depth('ttl')).toBe(1), { timeout: 5000 });
    const text = await metrics.metrics();
    expect(sampleValue(text, N.expired, { topic: 'ttl' })).toBe(1);
    expect(sampleValue(text, N.rejected, { topic: 'ttl', reason: 'expired' })).toBe(1);
    expect(sampleValue(text, N.deadLettered, { topic: 'ttl', reason: 'expired' })).toBe(1);
    expect(sampleValue(text, N.delivered, { topic: 'ttl' })).toBe(0);
    expect(ran).toBe(0);
    // A replay is counted by topic.
    await rel.deadLetters.replay('ttl', 'all');
    expect(sampleValue(await metrics.metrics(), N.replayed, { topic: 'ttl' })).toBe(1);
  });
});

describe('the lag collector', () => {
  it('reports lag, pending and consumers per group from XINFO, a group with no consumer as 0, and serves a cache between reads', async () => {
    const { metrics, transport } = setup({ statsCacheMs: 0 });
    let reads = 0;
    const stats = { stats: (t: string) => (reads++, transport.stats(t)) };
    const stop = metrics.watchTopics({ topics: () => ['backlog'], stats });
    await transport.publishBatch('backlog', Array.from({ length: 10 }, (_, n) => job(n)));
    const redis = new Redis(inject('redisUrl'));
    open.push({ close: () => redis.quit() });
    const lane = transport.keys.lane('backlog', 'normal');
    await redis.xgroup('CREATE', lane, 'idle', '0');

    let text = await metrics.metrics();
    const idle = { topic: 'backlog', group: 'idle' };
    expect(sampleValue(text, N.consumerLag, idle)).toBe(10);
    expect(sampleValue(text, N.consumerPending, idle)).toBe(0);
    expect(sampleValue(text, N.groupConsumers, idle)).toBe(0);
    // One scrape collects six gauges at once; they share one stats() read.
    expect(reads).toBe(1);

    await redis.xreadgroup('GROUP', 'idle', 'c1', 'COUNT', 4, 'STREAMS', lane, '>');
    text = await metrics.metrics();
    expect(sampleValue(text, N.consumerLag, idle)).toBe(6);
    expect(sampleValue(text, N.consumerPending, idle)).toBe(4);
    expect(sampleValue(text, N.groupConsumers, idle)).toBe(1);

    // A group that goes away leaves no stale series behind.
    await redis.xgroup('DESTROY', lane, 'idle');
    text = await metrics.metrics();
    expect(sampleValue(text, N.consumerLag, idle)).toBeUndefined();
    expect(sampleValue(text, N.streamLength, { topic: 'backlog' })).toBe(10);

    stop();
    text = await metrics.metrics();
    expect(sampleValue(text, N.streamLength, { topic: 'backlog' })).toBeUndefined();
  });

  it('reuses stats for statsCacheMs, so scraping every 5 s costs one XINFO round per topic per period', async () => {
    const { metrics, transport } = setup({ statsCacheMs: 60_000 });
    let reads = 0;
    metrics.watchTopics({ topics: ['cached'], stats: { stats: (t) => (reads++, transport.stats(t)) } });
    await transport.publish('cached', job(1));
    expect(sampleValue(await metrics.metrics(), N.streamLength, { topic: 'cached' })).toBe(1);
    await transport.publish('cached', job(2));
    await Promise.all([metrics.metrics(), metrics.metrics(), metrics.metrics()]);
    expect(sampleValue(await metrics.metrics(), N.streamLength, { topic: 'cached' })).toBe(1);
    expect(reads).toBe(1);
  });
});
