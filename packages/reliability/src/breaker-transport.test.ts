import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AgentbusError, createEnvelope, ERROR_CODES, type Envelope } from '@agentbus/schema';
import { createMemoryTransport, type MemoryTransportOptions, type PublishResult, type Transport } from '@agentbus/transport';
import {
  DEFAULT_BREAKER_TRANSPORT_OPTIONS,
  DEFAULT_PUBLISH_SPOOL_OPTIONS,
  SpoolFullError,
  withCircuitBreaker,
  type BreakerTransport,
  type BreakerTransportOptions,
} from './breaker-transport';
import { createCircuitBreaker } from './circuit-breaker';
import { CircuitOpenError } from './errors';

type Mode = 'up' | 'down' | 'hang';

const n = (env: Envelope) => (env.payload as { n: number }).n;
const env = (i: number) => createEnvelope({ type: 'test', from: 'test', payload: { n: i } });

/**
 * A memory transport whose writes can be made to fail (connection refused) or hang (a stopped
 * Redis), recording what was really written, in order.
 */
function flaky(options: MemoryTransportOptions = {}) {
  const mem = createMemoryTransport(options);
  const ctl = { mode: 'up' as Mode, written: [] as number[], attempts: 0, closed: 0, failOnce: new Set<number>(), delayMs: 0 };
  function gate<T>(write: () => Promise<T>, ns: number[]): Promise<T> {
    ctl.attempts++;
    const once = ns.find((x) => ctl.failOnce.delete(x));
    if (ctl.mode === 'down' || once !== undefined) {
      return Promise.reject(new AgentbusError(ERROR_CODES.CONNECTION_FAILED, 'connection refused'));
    }
    if (ctl.mode === 'hang') return new Promise<T>(() => undefined);
    const wait = ctl.delayMs > 0 ? new Promise((r) => setTimeout(r, ctl.delayMs)) : Promise.resolve();
    return wait.then(write).then((r) => {
      ctl.written.push(...ns);
      return r;
    });
  }
  const transport: Transport = {
    ...mem,
    publish: (topic, e, o) => gate(() => mem.publish(topic, e, o), [n(e)]),
    publishBatch: (topic, es, o) => gate(() => mem.publishBatch(topic, es, o), es.map(n)),
    pubsub: { ...mem.pubsub, publish: (channel, e) => gate(() => mem.pubsub.publish(channel, e), [n(e)]) },
    close: async () => {
      ctl.closed++;
      await mem.close();
    },
  };
  return { transport, mem, ctl };
}

const FAST: BreakerTransportOptions['breaker'] = { minimumCalls: 2, openMs: 1_000, callTimeoutMs: 500 };

function setup(options: BreakerTransportOptions = {}, memOptions: MemoryTransportOptions = {}) {
  const f = flaky(memOptions);
  const bus = withCircuitBreaker(f.transport, { breaker: FAST, ...options });
  return { ...f, bus };
}

/** Settles-or-not tracker for a promise, so tests can check it is still pending. */
function track<T>(p: Promise<T>) {
  const t: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  p.then(
    (v) => Object.assign(t, { settled: true, value: v }),
    (e: unknown) => Object.assign(t, { settled: true, error: e }),
  );
  return t;
}

/** Fails publishes until the breaker opens. */
async function trip(bus: BreakerTransport, ctl: { mode: Mode }) {
  ctl.mode = 'down';
  for (let i = 0; bus.breaker.state() === 'closed'; i++) await bus.publish('jobs', env(-1 - i)).catch(() => undefined);
  ctl.mode = 'up';
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('pass-through', () => {
  it('delegates everything else to the wrapped transport, health even while open', async () => {
    const { bus, mem, ctl } = setup();
    expect(bus.backend).toBe('memory');
    expect(bus.redis).toBeUndefined();
    expect(bus.capabilities).toEqual(mem.capabilities);
    expect(bus.keys).toBe(mem.keys);
    bus.defineTopic('parts', { partitions: 2 });
    expect(bus.partitionsOf('parts')).toEqual(mem.partitionsOf('parts'));
    await bus.publish('jobs', env(1));
    expect((await bus.stats('jobs')).length).toBe(1);
    expect(await bus.trim('jobs')).toMatchObject({ trimmed: 0 });
    const got: number[] = [];
    const sub = bus.pubsub.subscribe('news', (e) => got.push(n(e)));
    await sub.ready();
    const psub = bus.pubsub.psubscribe('n*', () => undefined);
    await psub.ready();
    await bus.pubsub.publish('news', env(7));
    await vi.advanceTimersByTimeAsync(0);
    expect(got).toEqual([7]);
    await sub.unsubscribe();
    await psub.unsubscribe();
    const consumer = bus.consume('jobs', () => undefined, { group: 'g' });
    await consumer.close();

    await trip(bus, ctl);
    expect(bus.breaker.state()).toBe('open');
    expect((await bus.health()).ok).toBe(true);
    await bus.close();
    expect(ctl.closed).toBe(1);
  });
});

describe('without a spool', () => {
  it('fails fast with CircuitOpenError while open, without touching the transport', async () => {
    const { bus, ctl } = setup();
    await trip(bus, ctl);
    const attempts = ctl.attempts;
    for (const call of [
      () => bus.publish('jobs', env(1)),
      () => bus.publishBatch('jobs', [env(2), env(3)]),
      () => bus.pubsub.publish('news', env(4)),
    ]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CircuitOpenError);
      expect(error).toMatchObject({ code: ERROR_CODES.CIRCUIT_OPEN });
      expect((error as CircuitOpenError).retryAfterMs).toBeGreaterThan(0);
    }
    expect(ctl.attempts).toBe(attempts);
    expect(bus.spoolSize()).toBe(0);
    expect(bus.breaker.name).toBe('memory-publish');
  });

  it('recovers: after openMs a successful probe closes it', async () => {
    const { bus, ctl } = setup();
    await trip(bus, ctl);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(bus.breaker.state()).toBe('half-open');
    await expect(bus.publish('jobs', env(1))).resolves.toMatchObject({ duplicate: false });
    expect(bus.breaker.state()).toBe('closed');
    expect(ctl.written).toEqual([1]);
  });

  it('a publish that hangs (ioredis queueing while Redis is down) rejects with INDETERMINATE after callTimeoutMs: it may still land', async () => {
    const { bus, ctl } = setup();
    ctl.mode = 'hang';
    const p = track(bus.publish('jobs', env(1)));
    await vi.advanceTimersByTimeAsync(499);
    expect(p.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(p.error).toMatchObject({ code: ERROR_CODES.INDETERMINATE, retryable: true });
    expect((p.error as Error).message).toMatch(/may or may not have happened.*dedupe by envelope id.*callTimeoutMs/);
    // Redis did not answer: it counts towards opening, and is told apart from plain failures.
    expect(bus.breaker.stats()).toMatchObject({ failures: 1, indeterminate: 1 });
  });

  it('a Pub/Sub publish that hangs keeps TIMEOUT: Pub/Sub has no dedupe to make a retry safe', async () => {
    const { bus, ctl } = setup();
    ctl.mode = 'hang';
    const p = track(bus.pubsub.publish('chat', env(1)));
    await vi.advanceTimersByTimeAsync(500);
    expect(p.error).toMatchObject({ code: ERROR_CODES.TIMEOUT });
    expect(bus.breaker.stats().indeterminate).toBe(0);
  });

  it("a caller's error (topic over its budget, invalid topic) does not open the breaker", async () => {
    const { bus } = setup({}, { topics: { tiny: { maxBacklog: 1 } } });
    await bus.publish('tiny', env(1));
    for (let i = 0; i < 5; i++) {
      await expect(bus.publish('tiny', env(2))).rejects.toMatchObject({ code: ERROR_CODES.BACKPRESSURE });
      await expect(bus.publish('bad topic!', env(3))).rejects.toMatchObject({ code: ERROR_CODES.INVALID_ARGUMENT });
    }
    expect(bus.breaker.state()).toBe('closed');
    expect(bus.breaker.stats().failures).toBe(0);
  });

  it('an empty batch and publishes after close do not touch the breaker', async () => {
    const { bus } = setup();
    await expect(bus.publishBatch('jobs', [])).resolves.toEqual([]);
    await bus.close();
    for (let i = 0; i < 3; i++) await expect(bus.publish('jobs', env(1))).rejects.toMatchObject({ code: ERROR_CODES.CLOSED });
    expect(bus.breaker.stats()).toMatchObject({ state: 'closed', calls: 0 });
  });
});

describe('with a spool', () => {
  const spool = { maxEntries: 100 };

  it('holds publishes while open and resolves each only once it was really written, in order', async () => {
    const { bus, ctl } = setup({ spool });
    await trip(bus, ctl);
    const results = [1, 2, 3].map((i) => {
      const p = track(bus.publish('jobs', env(i)));
      return p;
    });
    const batch = track(bus.publishBatch('jobs', [env(4), env(5)]));
    expect(bus.spoolSize()).toBe(5);
    await vi.advanceTimersByTimeAsync(999);
    expect(results.some((r) => r.settled)).toBe(false);
    expect(ctl.written).toEqual([]);

    await vi.advanceTimersByTimeAsync(1);
    expect(bus.breaker.state()).toBe('closed');
    expect(ctl.written).toEqual([1, 2, 3, 4, 5]);
    expect(bus.spoolSize()).toBe(0);
    for (const r of results) expect((r.value as PublishResult).streamId).toMatch(/^\d+-\d+$/);
    expect((batch.value as PublishResult[]).map((r) => r.id)).toHaveLength(2);
  });

  it('publishes made while the spool drains queue behind it (no overtaking)', async () => {
    const { bus, ctl } = setup({ spool });
    await trip(bus, ctl);
    ctl.delayMs = 10;
    for (const i of [1, 2, 3]) void bus.publish('jobs', env(i));
    await vi.advanceTimersByTimeAsync(1_000);
    // The drain started with the probe; keep publishing while it runs.
    const more = [4, 5, 6].map((i) => bus.publish('jobs', env(i)));
    expect(bus.spoolSize()).toBe(6);
    await vi.advanceTimersByTimeAsync(100);
    await Promise.all(more);
    expect(ctl.written).toEqual([1, 2, 3, 4, 5, 6]);
    // Once empty, publishes go straight through again.
    const direct = bus.publish('jobs', env(7));
    expect(bus.spoolSize()).toBe(0);
    await vi.advanceTimersByTimeAsync(10);
    await direct;
    expect(bus.spoolSize()).toBe(0);
    expect(ctl.written.at(-1)).toBe(7);
  });

  it('a failed probe puts the entry back at the front; it re-opens and drains later in order', async () => {
    const { bus, ctl } = setup({ spool });
    await trip(bus, ctl);
    const ps = [1, 2, 3].map((i) => track(bus.publish('jobs', env(i))));
    ctl.mode = 'down';
    await vi.advanceTimersByTimeAsync(1_000);
    expect(bus.breaker.state()).toBe('open');
    expect(bus.breaker.stats().opened).toBe(2);
    expect(bus.spoolSize()).toBe(3);
    expect(ps.some((p) => p.settled)).toBe(false);
    // Still down at the next probe.
    await vi.advanceTimersByTimeAsync(1_000);
    expect(bus.breaker.stats().opened).toBe(3);
    ctl.mode = 'up';
    await vi.advanceTimersByTimeAsync(1_000);
    expect(ctl.written).toEqual([1, 2, 3]);
    expect(ps.every((p) => p.settled && p.error === undefined)).toBe(true);
  });

  it('a hanging probe times out, counts as a failure, and its entry stays first', async () => {
    const { bus, ctl } = setup({ spool });
    await trip(bus, ctl);
    void bus.publish('jobs', env(1));
    void bus.publish('jobs', env(2));
    ctl.mode = 'hang';
    await vi.advanceTimersByTimeAsync(1_000 + 500);
    expect(bus.breaker.state()).toBe('open');
    expect(bus.spoolSize()).toBe(2);
    ctl.mode = 'up';
    await vi.advanceTimersByTimeAsync(1_000);
    expect(ctl.written).toEqual([1, 2]);
  });

  it('drains in windows of drainWindow entries once closed, in order, each resolved with its own result', async () => {
    const { bus, ctl } = setup({ spool: { maxEntries: 100, drainWindow: 3 } });
    await trip(bus, ctl);
    ctl.delayMs = 10;
    const ps = [1, 2, 3, 4, 5, 6, 7].map((i) => track(bus.publish('jobs', env(i))));
    const before = ctl.attempts;
    await vi.advanceTimersByTimeAsync(1_000 + 10); // the probe (1) alone; once it closed, 2, 3, 4 at once
    expect(ctl.written).toEqual([1]);
    expect(ctl.attempts - before).toBe(4);
    await vi.advanceTimersByTimeAsync(10); // 5, 6, 7 once those were written
    expect(ctl.written).toEqual([1, 2, 3, 4]);
    expect(ctl.attempts - before).toBe(7);
    await vi.advanceTimersByTimeAsync(10);
    expect(ctl.written).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(ps.every((p) => p.settled && (p.value as PublishResult).id !== undefined)).toBe(true);
  });

  it('an entry that fails alone in its window is tried again after the others of the window (nothing lost)', async () => {
    const { bus, ctl } = setup({ breaker: { minimumCalls: 3, openMs: 1_000, callTimeoutMs: 0 }, spool: { maxEntries: 10, retryDelayMs: 300 } });
    await trip(bus, ctl);
    const ps = [1, 2, 3].map((i) => track(bus.publish('jobs', env(i))));
    ctl.failOnce.add(2);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(ctl.written).toEqual([1, 3]);
    expect(bus.spoolSize()).toBe(1);
    await vi.advanceTimersByTimeAsync(300);
    expect(ctl.written).toEqual([1, 3, 2]);
    expect(ps.every((p) => p.settled && p.error === undefined)).toBe(true);
  });

  it('with drainWindow 1, a failure during the drain that leaves the breaker closed retries the head after retryDelayMs, order kept', async () => {
    const { bus, ctl } = setup({
      breaker: { minimumCalls: 3, openMs: 1_000, callTimeoutMs: 0 },
      spool: { maxEntries: 10, retryDelayMs: 300, drainWindow: 1 },
    });
    await trip(bus, ctl);
    const ps = [1, 2, 3].map((i) => track(bus.publish('jobs', env(i))));
    ctl.failOnce.add(2);
    await vi.advanceTimersByTimeAsync(1_000);
    // 1 was the probe and closed it; 2 failed once, one failure is under minimumCalls.
    expect(ctl.written).toEqual([1]);
    expect(bus.breaker.state()).toBe('closed');
    expect(bus.spoolSize()).toBe(2);
    await vi.advanceTimersByTimeAsync(299);
    expect(ctl.written).toEqual([1]);
    await vi.advanceTimersByTimeAsync(1);
    expect(ctl.written).toEqual([1, 2, 3]);
    expect(ps.every((p) => p.settled && p.error === undefined)).toBe(true);
  });

  it('is bounded: past maxEntries a publish rejects with BACKPRESSURE naming spool.maxEntries', async () => {
    const { bus, ctl } = setup({ spool: { maxEntries: 3 } });
    await trip(bus, ctl);
    void bus.publishBatch('jobs', [env(1), env(2)]);
    void bus.publish('jobs', env(3));
    const full = await bus.publish('jobs', env(4)).catch((e: unknown) => e);
    expect(full).toBeInstanceOf(SpoolFullError);
    expect(full).toMatchObject({ code: ERROR_CODES.BACKPRESSURE });
    expect((full as Error).message).toContain('spool.maxEntries');
    expect((full as SpoolFullError).retryAfterMs).toBeGreaterThan(0);
    const never = await bus.publishBatch('jobs', [env(5), env(6), env(7), env(8)]).catch((e: unknown) => e);
    expect(never).toMatchObject({ code: ERROR_CODES.INVALID_ARGUMENT });
    expect(bus.spoolSize()).toBe(3);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(ctl.written).toEqual([1, 2, 3]);
  });

  it("a spooled publish the transport refuses as the caller's error rejects alone; the drain goes on", async () => {
    const { bus, ctl } = setup({ spool }, { topics: { tiny: { maxBacklog: 1 } } });
    await trip(bus, ctl);
    const a = track(bus.publish('tiny', env(1)));
    const b = track(bus.publish('tiny', env(2)));
    const c = track(bus.publish('jobs', env(3)));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(a.error).toBeUndefined();
    expect(b.error).toMatchObject({ code: ERROR_CODES.BACKPRESSURE });
    expect(c.error).toBeUndefined();
    expect(ctl.written).toEqual([1, 3]);
    expect(bus.breaker.state()).toBe('closed');
  });

  it('a publish that waits longer than maxWaitMs leaves the spool unwritten with TIMEOUT', async () => {
    const { bus, ctl } = setup({ spool: { maxEntries: 10, maxWaitMs: 2_500 } });
    await trip(bus, ctl);
    ctl.mode = 'down';
    const early = track(bus.publish('jobs', env(1)));
    await vi.advanceTimersByTimeAsync(2_000);
    const late = track(bus.publish('jobs', env(2)));
    await vi.advanceTimersByTimeAsync(600);
    expect(early.error).toMatchObject({ code: ERROR_CODES.TIMEOUT });
    expect((early.error as Error).message).toContain('spool.maxWaitMs');
    expect(late.settled).toBe(false);
    ctl.mode = 'up';
    await vi.advanceTimersByTimeAsync(1_000);
    expect(late.error).toBeUndefined();
    expect(ctl.written).toEqual([2]);
  });

  it('an entry whose last attempt got no answer past maxWaitMs is rejected with INDETERMINATE (it may land), not put back', async () => {
    const { bus, ctl } = setup({ spool: { maxEntries: 10, maxWaitMs: 1_200 } });
    await trip(bus, ctl);
    const p = track(bus.publish('jobs', env(1)));
    ctl.mode = 'hang';
    await vi.advanceTimersByTimeAsync(1_000); // the probe starts and hangs
    expect(p.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(500); // callTimeoutMs: past its deadline now
    expect(p.error).toMatchObject({ code: ERROR_CODES.INDETERMINATE });
    expect((p.error as Error).message).toContain('spool.maxWaitMs');
    expect((p.error as Error).cause).toMatchObject({ code: ERROR_CODES.INDETERMINATE });
    expect(bus.spoolSize()).toBe(0);
  });

  it('an entry whose only attempts were refused leaves with TIMEOUT past maxWaitMs: it was not written', async () => {
    const { bus, ctl } = setup({ spool: { maxEntries: 10, maxWaitMs: 1_200 } });
    await trip(bus, ctl);
    const p = track(bus.publish('jobs', env(1)));
    ctl.mode = 'down';
    await vi.advanceTimersByTimeAsync(1_500);
    expect(p.error).toMatchObject({ code: ERROR_CODES.TIMEOUT });
    expect((p.error as Error).message).toMatch(/spool.maxWaitMs.*was not written/);
  });

  it('close() rejects a spooled entry whose earlier attempt got no answer with INDETERMINATE, the others with CLOSED', async () => {
    const { bus, ctl } = setup({ spool: { maxEntries: 10 } });
    await trip(bus, ctl);
    const first = track(bus.publish('jobs', env(1)));
    const second = track(bus.publish('jobs', env(2)));
    ctl.mode = 'hang';
    await vi.advanceTimersByTimeAsync(1_500); // the probe (entry 1) hangs, times out, goes back
    expect(bus.breaker.state()).toBe('open');
    await bus.close();
    await vi.advanceTimersByTimeAsync(0);
    expect(first.error).toMatchObject({ code: ERROR_CODES.INDETERMINATE });
    expect(second.error).toMatchObject({ code: ERROR_CODES.CLOSED });
    expect((second.error as Error).message).toContain('was not written');
  });

  it('waits while another user of a shared breaker holds the half-open probe slot', async () => {
    const breaker = createCircuitBreaker({ minimumCalls: 1, openMs: 1_000, callTimeoutMs: 500 });
    const one = setup({ breaker, spool: { maxEntries: 10, retryDelayMs: 100 } });
    const two = setup({ breaker });
    await trip(two.bus, two.ctl);
    await vi.advanceTimersByTimeAsync(1_000);
    two.ctl.mode = 'hang';
    const probe = track(two.bus.publish('jobs', env(0)));
    const p = track(one.bus.publish('jobs', env(1)));
    expect(one.bus.spoolSize()).toBe(1);
    await vi.advanceTimersByTimeAsync(100); // a drain attempt finds no free slot and waits again
    expect(one.ctl.attempts).toBe(0);
    await vi.advanceTimersByTimeAsync(400); // the other probe times out: open again
    expect(probe.error).toMatchObject({ code: ERROR_CODES.INDETERMINATE });
    expect(breaker.state()).toBe('open');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(p.error).toBeUndefined();
    expect(one.ctl.written).toEqual([1]);
  });

  it('close() rejects what is still spooled with CLOSED (never written) and stops its timers', async () => {
    const { bus, ctl } = setup({ spool });
    await trip(bus, ctl);
    const ps = [1, 2].map((i) => track(bus.publish('jobs', env(i))));
    await bus.close();
    await vi.advanceTimersByTimeAsync(0);
    for (const p of ps) expect(p.error).toMatchObject({ code: ERROR_CODES.CLOSED });
    expect((ps[0]!.error as Error).message).toContain('not written');
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(ctl.written).toEqual([]);
    await bus.close(); // idempotent
  });

  it('Pub/Sub fails fast by default, and is spooled with spool.pubsub', async () => {
    const a = setup({ spool });
    await trip(a.bus, a.ctl);
    await expect(a.bus.pubsub.publish('news', env(1))).rejects.toBeInstanceOf(CircuitOpenError);

    const b = setup({ spool: { ...spool, pubsub: true } });
    await trip(b.bus, b.ctl);
    const p = track(b.bus.pubsub.publish('news', env(2)));
    expect(b.bus.spoolSize()).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(p.value).toBe(0);
    expect(b.ctl.written).toEqual([2]);
  });

  it('a shared breaker closed elsewhere (reset, another transport) starts the drain at once', async () => {
    const breaker = createCircuitBreaker({ minimumCalls: 1, openMs: 60_000, callTimeoutMs: 0 });
    const one = setup({ breaker, spool });
    const two = setup({ breaker });
    await two.bus.publish('jobs', env(0)).catch(() => undefined);
    two.ctl.mode = 'down';
    await two.bus.publish('jobs', env(0)).catch(() => undefined);
    expect(breaker.state()).toBe('open');
    void one.bus.publish('jobs', env(1));
    expect(one.bus.spoolSize()).toBe(1);
    breaker.reset();
    await vi.advanceTimersByTimeAsync(0);
    expect(one.ctl.written).toEqual([1]);
    expect(one.bus.spoolSize()).toBe(0);
  });

  it('a publish that fails while the breaker is still closed rejects with its error (it is not spooled)', async () => {
    const { bus, ctl } = setup({ spool });
    ctl.mode = 'down';
    await expect(bus.publish('jobs', env(1))).rejects.toMatchObject({ code: ERROR_CODES.CONNECTION_FAILED });
    expect(bus.spoolSize()).toBe(0);
  });

  it('validates the spool options; the defaults are documented', () => {
    const { transport } = flaky();
    for (const bad of [{ maxEntries: 0 }, { maxWaitMs: -1 }, { retryDelayMs: -5 }, { drainWindow: 0 }]) {
      expect(() => withCircuitBreaker(transport, { spool: bad })).toThrow(expect.objectContaining({ code: ERROR_CODES.INVALID_ARGUMENT }));
    }
    expect(DEFAULT_PUBLISH_SPOOL_OPTIONS).toEqual({ maxEntries: 10_000, maxWaitMs: 120_000, retryDelayMs: 250, pubsub: false, drainWindow: 100 });
    expect(DEFAULT_BREAKER_TRANSPORT_OPTIONS).toEqual({ tripOnDisconnect: true });
  });
});
