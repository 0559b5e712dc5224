import { afterEach, describe, expect, it, vi } from 'vitest';
import { Registry } from 'prom-client';
import { createEnvelope } from '@agentbus/schema';
import { createMemoryTransport, type Rejection } from '@agentbus/transport';
import { sampleValue } from '../test/support/prom-text';
import { BREAKER_STATE_VALUES, breakerStateValue, type CircuitBreakerLike } from './breaker-state';
import { HISTOGRAM_NAMES, METRIC_NAMES as N } from './metric-names';
import { createMetrics, type Metrics } from './metrics';
import { DEFAULT_METRICS_OPTIONS } from './metrics-options';

const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

function metrics(options: Parameters<typeof createMetrics>[0] = {}): Metrics {
  const m = createMetrics(options);
  open.push(m);
  return m;
}

/** A breaker that changes state when told, as @agentbus/reliability's does on its own. */
function fakeBreaker(name?: string) {
  let state = 'closed';
  const listeners = new Set<(to: string, from: string) => void>();
  const breaker: CircuitBreakerLike & { go(to: string): void; listeners: number } = {
    ...(name !== undefined ? { name } : {}),
    state: () => state,
    onStateChange(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    go(to) {
      const from = state;
      state = to;
      for (const l of listeners) l(to, from);
    },
    get listeners() {
      return listeners.size;
    },
  };
  return breaker;
}

const rejection = (reason: Rejection['reason']): Rejection => ({
  reason,
  error: new Error(reason),
  raw: '{}',
  headers: null,
  attempt: 1,
  topic: 't',
  partition: 0,
  lane: 'normal',
  stream: 's',
  streamId: '1-0',
  deliveryCount: 1,
  group: 'g',
  consumer: 'c',
});

describe('createMetrics', () => {
  it('registers every name in METRIC_NAMES (histograms as histograms) and no other', async () => {
    const m = metrics();
    const registered = m.registry.getMetricsAsArray().map((x) => x.name).sort();
    expect(registered).toEqual(Object.values(N).sort());
    for (const name of HISTOGRAM_NAMES) expect((await m.registry.getSingleMetric(name)!.get()).type).toBe('histogram');
    expect(m.contentType).toMatch(/^text\/plain/);
  });

  it('counts transport traffic through the hooks (memory backend): published, delivered, acked, latencies', async () => {
    const m = metrics();
    const bus = createMemoryTransport({ hooks: m.transportHooks() });
    open.push(bus);
    expect(m.transportHooks()).toBe(m.transportHooks());
    let n = 0;
    open.push(bus.consume('t', () => void n++, { group: 'g' }));
    await bus.publishBatch('t', [1, 2, 3].map((p) => createEnvelope({ type: 'x', from: 'a', payload: p })));
    await bus.publish('t', createEnvelope({ type: 'x', from: 'a', payload: 4, ts: Date.now() + 60_000 }));
    await vi.waitFor(() => expect(n).toBe(4));
    await vi.waitFor(async () => expect(sampleValue(await m.metrics(), N.acked, { topic: 't' })).toBe(4));
    const text = await m.metrics();
    expect(sampleValue(text, N.published, { topic: 't' })).toBe(4);
    expect(sampleValue(text, N.delivered, { topic: 't' })).toBe(4);
    expect(sampleValue(text, `${N.publishDuration}_count`, { topic: 't' })).toBe(4);
    expect(sampleValue(text, `${N.handlerDuration}_count`, { topic: 't' })).toBe(4);
    // An envelope stamped in the future (a skewed producer clock) counts as 0 s, never negative.
    expect(sampleValue(text, `${N.endToEndLatency}_bucket`, { topic: 't', le: '0.001' })).toBeGreaterThanOrEqual(1);
  });

  it('counts rejections by reason, expired ones also as expired, and reclaims by group', async () => {
    const m = metrics();
    const h = m.transportHooks();
    h.onReject!(rejection('expired'));
    h.onReject!(rejection('poison'));
    h.onReject!(rejection('poison'));
    h.onReclaim!('t', 'g', 5);
    h.onLeaseLost!('t', 'g', 2);
    const text = await m.metrics();
    expect(sampleValue(text, N.rejected, { topic: 't', reason: 'expired' })).toBe(1);
    expect(sampleValue(text, N.rejected, { topic: 't', reason: 'poison' })).toBe(2);
    expect(sampleValue(text, N.expired, { topic: 't' })).toBe(1);
    expect(sampleValue(text, N.reclaimed, { topic: 't', group: 'g' })).toBe(5);
    expect(sampleValue(text, N.leaseLost, { topic: 't', group: 'g' })).toBe(2);
  });

  it('counts reliability events: retries, dead letters by reason, replays, dead letters dropped by the cap', async () => {
    const m = metrics();
    const h = m.reliabilityHooks();
    expect(m.reliabilityHooks()).toBe(h);
    h.onRetry!('t', 2, 5000, rejection('handler-error'));
    h.onDeadLetter!('t', 'max-deliveries', rejection('handler-error'));
    h.onReplay!('t', 7);
    h.onDeadLetterDropped!('t', 3);
    h.onDeadLetterDropped!('t', 2);
    const text = await m.metrics();
    expect(sampleValue(text, N.retried, { topic: 't' })).toBe(1);
    expect(sampleValue(text, N.deadLettered, { topic: 't', reason: 'max-deliveries' })).toBe(1);
    expect(sampleValue(text, N.replayed, { topic: 't' })).toBe(7);
    expect(sampleValue(text, N.deadLettersDropped, { topic: 't' })).toBe(5);
  });

  it('reports breaker state 0/1/2 (read again at scrape: open turns half-open lazily), transitions, and stops on unwatch', async () => {
    const m = metrics();
    const b = fakeBreaker('redis');
    const stop = m.watchBreaker(b);
    expect(sampleValue(await m.metrics(), N.breakerState, { name: 'redis' })).toBe(0);
    b.go('open');
    expect(sampleValue(await m.metrics(), N.breakerState, { name: 'redis' })).toBe(2);
    expect(sampleValue(await m.metrics(), N.breakerTransitions, { name: 'redis', to: 'open' })).toBe(1);
    b.go('half-open');
    expect(sampleValue(await m.metrics(), N.breakerState, { name: 'redis' })).toBe(1);
    // A second watch under the same name replaces the first; the old stop() no longer touches it.
    const b2 = fakeBreaker();
    const stop2 = m.watchBreaker(b2, 'redis');
    expect(b.listeners).toBe(0);
    expect(sampleValue(await m.metrics(), N.breakerState, { name: 'redis' })).toBe(0);
    stop();
    expect(b2.listeners).toBe(1);
    stop2();
    stop2();
    expect(b2.listeners).toBe(0);
    expect(sampleValue(await m.metrics(), N.breakerState, { name: 'redis' })).toBeUndefined();
    m.watchBreaker(fakeBreaker());
    expect(sampleValue(await m.metrics(), N.breakerState, { name: 'default' })).toBe(0);
  });

  it('maps breaker states, an unknown one (or a prototype name) to -1', () => {
    expect(BREAKER_STATE_VALUES).toEqual({ closed: 0, 'half-open': 1, open: 2 });
    expect(breakerStateValue('open')).toBe(2);
    expect(breakerStateValue('melted')).toBe(-1);
    expect(breakerStateValue('toString')).toBe(-1);
  });

  it('counts rate-limit rejections and takes chat and bridge reports', async () => {
    const m = metrics();
    m.rateLimited();
    m.rateLimited('chat.send', 3);
    m.chat.connectionOpened();
    m.chat.connectionOpened();
    m.chat.connectionClosed();
    m.chat.setOnline(5);
    m.chat.setOnline(2, 'agent');
    m.bridge.setBacklog(12);
    m.bridge.observeRelayMs(40);
    m.bridge.observeRelayMs(-3);
    m.bridge.observeRelayMs(Number.NaN);
    let text = await m.metrics();
    expect(sampleValue(text, N.rateLimited, { operation: 'default' })).toBe(1);
    expect(sampleValue(text, N.rateLimited, { operation: 'chat.send' })).toBe(3);
    expect(sampleValue(text, N.chatConnections)).toBe(1);
    expect(sampleValue(text, N.chatOnline, { kind: 'all' })).toBe(5);
    expect(sampleValue(text, N.chatOnline, { kind: 'agent' })).toBe(2);
    expect(sampleValue(text, N.bridgeBacklog)).toBe(12);
    expect(sampleValue(text, `${N.relayLatency}_count`)).toBe(2);
    expect(sampleValue(text, `${N.relayLatency}_sum`)).toBeCloseTo(0.04);
    m.chat.setConnections(40);
    text = await m.metrics();
    expect(sampleValue(text, N.chatConnections)).toBe(40);
  });

  it('reports dead-letter depth per topic, and a failing read as a collect error with the last value kept', async () => {
    const m = metrics({ statsCacheMs: 0, statsTimeoutMs: 50 });
    let depth: number | Error = 4;
    m.watchTopics({
      topics: ['a'],
      deadLetters: { depth: async () => (depth instanceof Error ? Promise.reject(depth) : depth) },
    });
    expect(sampleValue(await m.metrics(), N.deadLetterDepth, { topic: 'a' })).toBe(4);
    depth = new Error('redis down');
    expect(sampleValue(await m.metrics(), N.deadLetterDepth, { topic: 'a' })).toBe(4);
    depth = 5;
    const text = await m.metrics();
    expect(sampleValue(text, N.deadLetterDepth, { topic: 'a' })).toBe(5);
    // Six gauges collect per scrape, but they shared the one failed read. (The error is counted
    // while the scrape runs, so it shows from the next one on.)
    expect(sampleValue(text, N.collectErrors, { source: 'dead-letters' })).toBe(1);
    expect(sampleValue(text, N.consumerLag)).toBeUndefined();
  });

  it('follows a topic list given as a function', async () => {
    const m = metrics({ statsCacheMs: 0 });
    let topics = ['a', 'b'];
    m.watchTopics({ topics: () => topics, deadLetters: { depth: async (t) => t.length } });
    expect(sampleValue(await m.metrics(), N.deadLetterDepth, { topic: 'b' })).toBe(1);
    topics = ['a'];
    expect(sampleValue(await m.metrics(), N.deadLetterDepth, { topic: 'b' })).toBeUndefined();
  });

  it('puts defaultLabels on every series and can add the process metrics', async () => {
    const m = metrics({ defaultLabels: { service: 'worker' }, processMetrics: true });
    m.rateLimited('x');
    const text = await m.metrics();
    expect(sampleValue(text, N.rateLimited, { operation: 'x', service: 'worker' })).toBe(1);
    expect(text).toMatch(/^process_cpu_user_seconds_total\{service="worker"\}/m);
  });

  it('shares a given registry, refuses to register twice in it, and close() removes what it added', async () => {
    const registry = new Registry();
    const m = createMetrics({ registry });
    expect(m.registry).toBe(registry);
    expect(() => createMetrics({ registry })).toThrow(/already holds agentbus_messages_published_total/);
    const stop = m.watchTopics({ topics: ['a'] });
    m.watchBreaker(fakeBreaker('x'));
    m.close();
    stop();
    expect(registry.getMetricsAsArray()).toHaveLength(0);
    const again = createMetrics({ registry });
    again.close();
  });

  it('checks its options and names the bad one', () => {
    expect(() => createMetrics({ statsCacheMs: -1 })).toThrow(/option statsCacheMs/);
    expect(() => createMetrics({ publishBuckets: [1, 0.5] })).toThrow(/option publishBuckets must be strictly increasing/);
    expect(() => createMetrics({ defaultLabels: { 'bad-label': 'x' } })).toThrow(/option defaultLabels/);
    expect(() => createMetrics({ nope: 1 } as never)).toThrow(/INVALID_ARGUMENT|option/);
    const m = metrics({ statsCacheMs: undefined });
    expect(m.registry).toBeInstanceOf(Registry);
    expect(DEFAULT_METRICS_OPTIONS.statsCacheMs).toBe(4000);
  });
});
