import { afterEach, describe, expect, it, vi } from 'vitest';
import { AgentbusError, ERROR_CODES } from '@agentbus/schema';
import {
  createCircuitBreaker,
  DEFAULT_CIRCUIT_BREAKER_OPTIONS,
  DEFAULT_RUN_OPTIONS,
  isDependencyFailure,
  type CircuitBreakerOptions,
  type CircuitState,
} from './circuit-breaker';
import { CircuitOpenError } from './errors';

function setup(options: CircuitBreakerOptions = {}) {
  const clock = { t: 1_000_000 };
  const breaker = createCircuitBreaker({ callTimeoutMs: 0, ...options, now: () => clock.t });
  const changes: Array<[CircuitState, CircuitState]> = [];
  breaker.onStateChange((to, from) => changes.push([to, from]));
  const ok = () => breaker.run(async () => 'ok');
  const fail = (error: unknown = new Error('ECONNREFUSED')) => breaker.run(() => Promise.reject(error)).catch((e: unknown) => e);
  return { clock, breaker, changes, ok, fail };
}

/** A call that stays in flight until settled by hand. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('closed', () => {
  it('passes results and errors through and counts them in the window', async () => {
    const { breaker, ok, fail } = setup();
    await expect(ok()).resolves.toBe('ok');
    const error = await fail(new Error('boom'));
    expect((error as Error).message).toBe('boom');
    expect(breaker.state()).toBe('closed');
    expect(breaker.stats()).toMatchObject({ state: 'closed', calls: 2, failures: 1, failureRate: 0.5, opened: 0, rejected: 0, retryAfterMs: 0 });
  });

  it('does not open before minimumCalls outcomes, however bad the rate', async () => {
    const { breaker, fail } = setup({ minimumCalls: 5 });
    for (let i = 0; i < 4; i++) await fail();
    expect(breaker.state()).toBe('closed');
    expect(breaker.stats().failureRate).toBe(1);
    await fail();
    expect(breaker.state()).toBe('open');
  });

  it('opens when the failure rate reaches the threshold, not below it', async () => {
    const { breaker, ok, fail, changes } = setup({ minimumCalls: 5, failureRateThreshold: 0.5 });
    for (let i = 0; i < 3; i++) await ok();
    await fail();
    await fail();
    expect(breaker.state()).toBe('closed'); // 2/5 = 0.4
    await fail(); // 3/6 = 0.5
    expect(breaker.state()).toBe('open');
    expect(changes).toEqual([['open', 'closed']]);
    expect(breaker.stats()).toMatchObject({ opened: 1, calls: 6, failures: 3 });
  });

  it('a success can complete minimumCalls and open it when the rate is already over', async () => {
    const { breaker, ok, fail } = setup({ minimumCalls: 5, failureRateThreshold: 0.5 });
    for (let i = 0; i < 4; i++) await fail();
    await ok(); // 4/5 = 0.8
    expect(breaker.state()).toBe('open');
  });

  it('forgets outcomes older than windowMs (sliding window)', async () => {
    const { clock, breaker, ok, fail } = setup({ windowMs: 10_000, minimumCalls: 5 });
    for (let i = 0; i < 4; i++) await fail();
    clock.t += 5_000;
    await ok();
    // 4 failures of 5 at t+5s would open it; the check ran on the 5th outcome.
    expect(breaker.state()).toBe('open');

    const second = setup({ windowMs: 10_000, minimumCalls: 5 });
    for (let i = 0; i < 4; i++) await second.fail();
    second.clock.t += 9_999;
    expect(second.breaker.stats().calls).toBe(4);
    second.clock.t += 1; // exactly windowMs later: out
    expect(second.breaker.stats()).toMatchObject({ calls: 0, failures: 0, failureRate: 0 });
    await second.fail();
    expect(second.breaker.state()).toBe('closed');
    expect(second.breaker.stats()).toMatchObject({ calls: 1, failures: 1 });
  });

  it('keeps counting correctly when many outcomes land in the same millisecond', async () => {
    const { clock, breaker, ok } = setup({ windowMs: 100 });
    for (let ms = 0; ms < 300; ms++) {
      await Promise.all([ok(), ok(), ok()]);
      clock.t += 1;
    }
    // The clock is now 1 ms past the last outcomes: the window (t-100, t] holds 99 busy ms.
    expect(breaker.stats().calls).toBe(297);
    clock.t += 50;
    expect(breaker.stats().calls).toBe(147);
  });

  it('stays exact over long runs of distinct milliseconds (old slots are compacted away)', async () => {
    const { clock, breaker, ok, fail } = setup({ windowMs: 10, minimumCalls: 1_000 });
    for (let ms = 0; ms < 5_000; ms++) {
      await (ms % 2 === 0 ? ok() : fail());
      clock.t += 1;
    }
    expect(breaker.stats()).toMatchObject({ calls: 9, failures: 5 });
  });
});

describe('open', () => {
  it('rejects at once with CircuitOpenError carrying the time left, without calling fn', async () => {
    const { clock, breaker, fail } = setup({ minimumCalls: 1, openMs: 5_000 });
    await fail();
    clock.t += 1_200;
    const fn = vi.fn(async () => 'never');
    const error = await breaker.run(fn).catch((e: unknown) => e);
    expect(fn).not.toHaveBeenCalled();
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect(error).toMatchObject({ code: ERROR_CODES.CIRCUIT_OPEN, retryAfterMs: 3_800 });
    expect((error as Error).message).toContain('circuit default is open');
    expect(breaker.allows()).toBe(false);
    expect(breaker.stats()).toMatchObject({ state: 'open', rejected: 1, retryAfterMs: 3_800 });
  });

  it('turns half-open after openMs', async () => {
    const { clock, breaker, fail, changes } = setup({ minimumCalls: 1, openMs: 5_000 });
    await fail();
    clock.t += 4_999;
    expect(breaker.state()).toBe('open');
    clock.t += 1;
    expect(breaker.state()).toBe('half-open');
    expect(breaker.stats().retryAfterMs).toBe(0);
    expect(changes).toEqual([
      ['open', 'closed'],
      ['half-open', 'open'],
    ]);
  });
});

describe('half-open', () => {
  async function halfOpen(options: CircuitBreakerOptions = {}) {
    const s = setup({ minimumCalls: 1, openMs: 1_000, ...options });
    await s.fail();
    s.clock.t += 1_000;
    expect(s.breaker.state()).toBe('half-open');
    return s;
  }

  it('a successful probe closes it with an empty window', async () => {
    const { breaker, ok, changes } = await halfOpen();
    await expect(ok()).resolves.toBe('ok');
    expect(breaker.state()).toBe('closed');
    expect(breaker.stats()).toMatchObject({ calls: 0, failures: 0 });
    expect(changes.at(-1)).toEqual(['closed', 'half-open']);
  });

  it('a failed probe re-opens it for another openMs', async () => {
    const { clock, breaker, fail } = await halfOpen();
    await fail();
    expect(breaker.state()).toBe('open');
    expect(breaker.stats()).toMatchObject({ opened: 2, retryAfterMs: 1_000 });
    clock.t += 999;
    expect(breaker.state()).toBe('open');
    clock.t += 1;
    expect(breaker.state()).toBe('half-open');
  });

  it('lets only halfOpenMaxCalls probes through at once', async () => {
    const { breaker } = await halfOpen({ halfOpenMaxCalls: 1, callTimeoutMs: 2_000 });
    const probe = deferred<string>();
    const first = breaker.run(() => probe.promise);
    expect(breaker.allows()).toBe(false);
    const second = await breaker.run(async () => 'x').catch((e: unknown) => e);
    expect(second).toBeInstanceOf(CircuitOpenError);
    expect((second as CircuitOpenError).retryAfterMs).toBe(2_000);
    probe.resolve('probed');
    await expect(first).resolves.toBe('probed');
    expect(breaker.state()).toBe('closed');
  });

  it('with halfOpenMaxCalls 2, two probes run; the first outcome decides', async () => {
    const { breaker } = await halfOpen({ halfOpenMaxCalls: 2 });
    const a = deferred<string>();
    const b = deferred<string>();
    const pa = breaker.run(() => a.promise);
    const pb = breaker.run(() => b.promise).catch((e: unknown) => e);
    expect(breaker.allows()).toBe(false);
    a.resolve('a');
    await pa;
    expect(breaker.state()).toBe('closed');
    // The second probe started in the half-open period: its late failure says nothing about now.
    b.reject(new Error('late'));
    await pb;
    expect(breaker.state()).toBe('closed');
    expect(breaker.stats().calls).toBe(0);
  });

  it("a caller's error in a probe neither closes nor re-opens it, and frees the probe slot", async () => {
    const { breaker, fail } = await halfOpen();
    await fail(new AgentbusError(ERROR_CODES.INVALID_MESSAGE, 'bad envelope'));
    expect(breaker.state()).toBe('half-open');
    expect(breaker.allows()).toBe(true);
  });
});

describe('callTimeoutMs', () => {
  it('a slow call rejects with TIMEOUT, counts as a failure, and its late result is ignored', async () => {
    vi.useFakeTimers();
    const { breaker } = setup({ callTimeoutMs: 2_000, minimumCalls: 1 });
    const slow = deferred<string>();
    const result = breaker.run(() => slow.promise).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1_999);
    expect(breaker.state()).toBe('closed');
    await vi.advanceTimersByTimeAsync(1);
    const error = await result;
    expect(error).toBeInstanceOf(AgentbusError);
    expect(error).toMatchObject({ code: ERROR_CODES.TIMEOUT });
    expect((error as Error).message).toContain('callTimeoutMs');
    expect(breaker.state()).toBe('open');
    slow.resolve('too late');
    await Promise.resolve();
    expect(breaker.stats()).toMatchObject({ state: 'open', opened: 1 });
  });

  it('a late rejection after a timeout is swallowed (no unhandled rejection)', async () => {
    vi.useFakeTimers();
    const { breaker } = setup({ callTimeoutMs: 10 });
    const slow = deferred<string>();
    const result = breaker.run(() => slow.promise).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(10);
    expect(await result).toMatchObject({ code: ERROR_CODES.TIMEOUT });
    slow.reject(new Error('late'));
    await vi.advanceTimersByTimeAsync(0);
    expect(breaker.stats()).toMatchObject({ calls: 1, failures: 1 });
  });

  it('0 means no limit', async () => {
    vi.useFakeTimers();
    const { breaker } = setup({ callTimeoutMs: 0 });
    const slow = deferred<string>();
    const result = breaker.run(() => slow.promise);
    await vi.advanceTimersByTimeAsync(60_000);
    slow.resolve('eventually');
    await expect(result).resolves.toBe('eventually');
  });

  it('the default is 2 s', () => {
    expect(DEFAULT_CIRCUIT_BREAKER_OPTIONS.callTimeoutMs).toBe(2_000);
  });

  it("a write run with onTimeout 'indeterminate' rejects with INDETERMINATE: it may still land", async () => {
    vi.useFakeTimers();
    const { breaker } = setup({ callTimeoutMs: 100, minimumCalls: 2 });
    const result = breaker.run(() => deferred<string>().promise, { onTimeout: 'indeterminate' }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    const error = await result;
    expect(error).toMatchObject({ code: ERROR_CODES.INDETERMINATE, retryable: true });
    expect((error as Error).message).toMatch(/may or may not have happened.*callTimeoutMs/);
    // Counted apart, and towards opening: the dependency did not answer.
    expect(breaker.stats()).toMatchObject({ calls: 1, failures: 1, indeterminate: 1 });
    expect(DEFAULT_RUN_OPTIONS.onTimeout).toBe('timeout');
  });
});

describe('trip()', () => {
  it('opens a closed circuit at once, whatever the window holds, and closes through a probe after openMs', async () => {
    const { breaker, clock, changes, ok } = setup({ openMs: 1_000 });
    await ok();
    breaker.trip();
    expect(breaker.state()).toBe('open');
    expect(await ok().catch((e: unknown) => e)).toBeInstanceOf(CircuitOpenError);
    clock.t += 1_000;
    expect(breaker.state()).toBe('half-open');
    await ok();
    expect(breaker.state()).toBe('closed');
    expect(changes).toEqual([['open', 'closed'], ['half-open', 'open'], ['closed', 'half-open']]);
    expect(breaker.stats()).toMatchObject({ opened: 1, tripped: 1 });
  });

  it('does not extend an open period; from half-open it opens again and the running probe no longer counts', async () => {
    const { breaker, clock } = setup({ openMs: 1_000 });
    breaker.trip();
    clock.t += 600;
    breaker.trip();
    expect(breaker.stats()).toMatchObject({ retryAfterMs: 400, tripped: 1 });
    clock.t += 400;
    const probe = deferred<string>();
    const running = breaker.run(() => probe.promise);
    breaker.trip();
    expect(breaker.state()).toBe('open');
    probe.resolve('late');
    await running;
    expect(breaker.state()).toBe('open');
    expect(breaker.stats()).toMatchObject({ opened: 2, tripped: 2, retryAfterMs: 1_000 });
  });
});

describe('isFailure', () => {
  it("by default a caller's bad input is not a failure; Redis errors and plain errors are", () => {
    for (const code of [
      ERROR_CODES.INVALID_ARGUMENT,
      ERROR_CODES.INVALID_MESSAGE,
      ERROR_CODES.PAYLOAD_TOO_LARGE,
      ERROR_CODES.BACKPRESSURE,
      ERROR_CODES.DUPLICATE,
    ]) {
      expect(isDependencyFailure(new AgentbusError(code, 'x')), code).toBe(false);
    }
    for (const code of [ERROR_CODES.CONNECTION_FAILED, ERROR_CODES.TIMEOUT, ERROR_CODES.INTERNAL]) {
      expect(isDependencyFailure(new AgentbusError(code, 'x')), code).toBe(true);
    }
    expect(isDependencyFailure(new Error('socket hang up'))).toBe(true);
    expect(isDependencyFailure('a string')).toBe(true);
  });

  it('errors that are not failures pass through and leave the window untouched', async () => {
    const { breaker, fail } = setup({ minimumCalls: 1 });
    for (let i = 0; i < 10; i++) {
      const e = await fail(new AgentbusError(ERROR_CODES.BACKPRESSURE, 'topic over budget'));
      expect(e).toMatchObject({ code: ERROR_CODES.BACKPRESSURE });
    }
    expect(breaker.state()).toBe('closed');
    expect(breaker.stats()).toMatchObject({ calls: 0, failures: 0 });
  });

  it('a custom isFailure decides', async () => {
    const { breaker, fail } = setup({ minimumCalls: 1, isFailure: (e) => (e as Error).message === 'counts' });
    await fail(new Error('ignored'));
    expect(breaker.state()).toBe('closed');
    expect(breaker.isFailure(new Error('counts'))).toBe(true);
    await fail(new Error('counts'));
    expect(breaker.state()).toBe('open');
  });

  it('an isFailure that throws counts the error as a failure instead of losing the call', async () => {
    const { breaker, fail } = setup({
      minimumCalls: 1,
      isFailure: () => {
        throw new Error('classifier bug');
      },
    });
    expect(await fail(new Error('down'))).toMatchObject({ message: 'down' });
    expect(breaker.state()).toBe('open');
  });

  it('a function that throws instead of rejecting is a failure too', async () => {
    const { breaker } = setup({ minimumCalls: 1 });
    const error = await breaker
      .run(() => {
        throw new Error('sync throw');
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ message: 'sync throw' });
    expect(breaker.state()).toBe('open');
  });
});

describe('listeners, reset, stale outcomes', () => {
  it('onStateChange returns an unsubscribe; a throwing listener does not stop the others', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const { breaker, fail, changes } = setup({ minimumCalls: 1 });
    const seen: CircuitState[] = [];
    breaker.onStateChange(() => {
      throw new Error('listener bug');
    });
    const off = breaker.onStateChange((to) => seen.push(to));
    await fail();
    expect(seen).toEqual(['open']);
    expect(changes).toEqual([['open', 'closed']]);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('listener bug'));
    off();
    breaker.reset();
    expect(seen).toEqual(['open']);
  });

  it('reset() closes it with an empty window and ignores calls still running', async () => {
    const { breaker, fail, changes } = setup({ minimumCalls: 2 });
    const running = deferred<string>();
    const p = breaker.run(() => running.promise).catch((e: unknown) => e);
    await fail();
    await fail();
    expect(breaker.state()).toBe('open');
    breaker.reset();
    expect(breaker.state()).toBe('closed');
    expect(changes.at(-1)).toEqual(['closed', 'open']);
    running.reject(new Error('old failure'));
    await p;
    expect(breaker.stats()).toMatchObject({ calls: 0, failures: 0 });
  });

  it('reset() while closed clears the window without an event', async () => {
    const { breaker, fail, changes } = setup({ minimumCalls: 3 });
    await fail();
    await fail();
    const running = deferred<string>();
    const p = breaker.run(() => running.promise).catch((e: unknown) => e);
    breaker.reset();
    running.reject(new Error('old'));
    await p;
    await fail();
    expect(breaker.state()).toBe('closed');
    expect(breaker.stats()).toMatchObject({ calls: 1, failures: 1 });
    expect(changes).toEqual([]);
  });

  it('a call started before the breaker opened cannot close it by succeeding late', async () => {
    const { breaker, fail } = setup({ minimumCalls: 2 });
    const early = deferred<string>();
    const p = breaker.run(() => early.promise);
    await fail();
    await fail();
    expect(breaker.state()).toBe('open');
    early.resolve('late success');
    await expect(p).resolves.toBe('late success');
    expect(breaker.state()).toBe('open');
  });
});

describe('options', () => {
  it('rejects invalid options with INVALID_ARGUMENT naming the option', () => {
    const cases: Array<[CircuitBreakerOptions, string]> = [
      [{ windowMs: 0 }, 'windowMs'],
      [{ minimumCalls: 0 }, 'minimumCalls'],
      [{ minimumCalls: 1.5 }, 'minimumCalls'],
      [{ failureRateThreshold: 0 }, 'failureRateThreshold'],
      [{ failureRateThreshold: 1.1 }, 'failureRateThreshold'],
      [{ openMs: -1 }, 'openMs'],
      [{ halfOpenMaxCalls: 0 }, 'halfOpenMaxCalls'],
      [{ callTimeoutMs: Number.NaN }, 'callTimeoutMs'],
    ];
    for (const [options, name] of cases) {
      expect(() => createCircuitBreaker(options), name).toThrow(expect.objectContaining({ code: ERROR_CODES.INVALID_ARGUMENT }));
      expect(() => createCircuitBreaker(options), name).toThrow(name);
    }
  });

  it('undefined options take the defaults; name appears in errors', async () => {
    const breaker = createCircuitBreaker({ name: 'orders-redis', windowMs: undefined, minimumCalls: 1, callTimeoutMs: 0 });
    await breaker.run(() => Promise.reject(new Error('down'))).catch(() => undefined);
    const error = await breaker.run(async () => 1).catch((e: unknown) => e);
    expect((error as Error).message).toContain('circuit orders-redis is open');
    expect(breaker.name).toBe('orders-redis');
    expect(DEFAULT_CIRCUIT_BREAKER_OPTIONS).toMatchObject({
      windowMs: 10_000,
      minimumCalls: 5,
      failureRateThreshold: 0.5,
      openMs: 5_000,
      halfOpenMaxCalls: 1,
    });
  });
});
