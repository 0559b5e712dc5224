import { afterEach, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '@agentbus/schema';
import { createMemoryTransport, type Transport } from '@agentbus/transport';
import { RateLimitedError } from './errors';
import { DEFAULT_RATE_LIMITER_OPTIONS, createRateLimiter } from './rate-limiter';

function fakeClock(start = 1_700_000_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms), set: (ms: number) => void (t = ms) };
}

describe('rate limiter (memory backend)', () => {
  const transports: Transport[] = [];
  const transport = (): Transport => {
    const t = createMemoryTransport({ namespace: 'rl-test' });
    transports.push(t);
    return t;
  };
  afterEach(async () => {
    await Promise.all(transports.splice(0).map((t) => t.close()));
  });

  it('has documented defaults', () => {
    expect(DEFAULT_RATE_LIMITER_OPTIONS).toEqual({ capacity: 10, refillPerSecond: 10 });
    expect(createRateLimiter(transport()).options).toEqual({ capacity: 10, refillPerSecond: 10 });
  });

  it('allows a burst of capacity, then refuses with an exact retryAfterMs', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter(transport(), { capacity: 3, refillPerSecond: 2, now: clock.now });
    expect(await limiter.take('acme', 'send')).toEqual({ allowed: true, remaining: 2, retryAfterMs: 0 });
    expect(await limiter.take('acme', 'send')).toEqual({ allowed: true, remaining: 1, retryAfterMs: 0 });
    expect(await limiter.take('acme', 'send')).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
    // 2 tokens/s: one token takes 500 ms.
    expect(await limiter.take('acme', 'send')).toEqual({ allowed: false, remaining: 0, retryAfterMs: 500 });
    clock.advance(200);
    expect(await limiter.take('acme', 'send')).toEqual({ allowed: false, remaining: 0, retryAfterMs: 300 });
    clock.advance(299);
    expect((await limiter.take('acme', 'send')).allowed).toBe(false);
    clock.advance(1);
    expect(await limiter.take('acme', 'send')).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
  });

  it('refills over time up to capacity, never beyond', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter(transport(), { capacity: 5, refillPerSecond: 10, now: clock.now });
    expect((await limiter.take('t', 'op', 5)).remaining).toBe(0);
    clock.advance(250); // 2.5 tokens
    expect(await limiter.take('t', 'op', 0)).toEqual({ allowed: true, remaining: 2, retryAfterMs: 0 });
    expect(await limiter.take('t', 'op', 3)).toEqual({ allowed: false, remaining: 2, retryAfterMs: 50 });
    clock.advance(60_000);
    expect(await limiter.take('t', 'op', 0)).toEqual({ allowed: true, remaining: 5, retryAfterMs: 0 });
    expect(await limiter.take('t', 'op', 5)).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
  });

  it('takes several tokens at once and refuses without taking any', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter(transport(), { capacity: 10, refillPerSecond: 1, now: clock.now });
    expect(await limiter.take('t', 'op', 7)).toEqual({ allowed: true, remaining: 3, retryAfterMs: 0 });
    expect(await limiter.take('t', 'op', 5)).toEqual({ allowed: false, remaining: 3, retryAfterMs: 2000 });
    expect(await limiter.take('t', 'op', 3)).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
  });

  it('keeps one bucket per (tenant, operation)', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter(transport(), { capacity: 1, refillPerSecond: 1, now: clock.now });
    expect((await limiter.take('a', 'send')).allowed).toBe(true);
    expect((await limiter.take('a', 'send')).allowed).toBe(false);
    expect((await limiter.take('a', 'read')).allowed).toBe(true);
    expect((await limiter.take('b', 'send')).allowed).toBe(true);
  });

  it('limiters on one transport share buckets, as processes on one Redis do', async () => {
    const clock = fakeClock();
    const t = transport();
    const one = createRateLimiter(t, { capacity: 2, refillPerSecond: 1, now: clock.now });
    const two = createRateLimiter(t, { capacity: 2, refillPerSecond: 1, now: clock.now });
    expect((await one.take('a', 'op')).allowed).toBe(true);
    expect((await two.take('a', 'op')).allowed).toBe(true);
    expect((await one.take('a', 'op')).allowed).toBe(false);
    expect((await createRateLimiter(transport(), { now: clock.now }).take('a', 'op')).allowed).toBe(true);
  });

  it('applies per-call overrides of capacity and refill', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter(transport(), { capacity: 1, refillPerSecond: 1, now: clock.now });
    const premium = { capacity: 3, refillPerSecond: 100 };
    expect((await limiter.take('big', 'op', 1, premium)).remaining).toBe(2);
    expect((await limiter.take('big', 'op', 2, premium)).remaining).toBe(0);
    expect(await limiter.take('big', 'op', 1, premium)).toEqual({ allowed: false, remaining: 0, retryAfterMs: 10 });
  });

  it('consume resolves when allowed and throws RateLimitedError when refused', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter(transport(), { capacity: 1, refillPerSecond: 4, now: clock.now });
    await expect(limiter.consume('acme', 'send')).resolves.toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
    const error = await limiter.consume('acme', 'send').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toMatchObject({ code: ERROR_CODES.RATE_LIMITED, retryAfterMs: 250, retryable: true });
    expect((error as Error).message).toMatch(/acme\/send.*capacity or refillPerSecond/);
  });

  it('reset makes a bucket full again', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter(transport(), { capacity: 2, refillPerSecond: 1, now: clock.now });
    await limiter.take('a', 'op', 2);
    await limiter.reset('a', 'op');
    expect(await limiter.take('a', 'op', 0)).toEqual({ allowed: true, remaining: 2, retryAfterMs: 0 });
  });

  it('forgets idle buckets once they would be full (like PEXPIRE)', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter(transport(), { capacity: 10, refillPerSecond: 10, now: clock.now });
    for (let i = 0; i < 1100; i++) await limiter.take(`tenant-${i}`, 'op');
    clock.advance(1_000);
    // A sweep runs every 1024 takes; after it, buckets are full again.
    for (let i = 0; i < 1100; i++) await limiter.take('other', 'op', 0);
    expect(await limiter.take('tenant-1', 'op', 0)).toEqual({ allowed: true, remaining: 10, retryAfterMs: 0 });
  });

  it('never grants tokens when the clock steps back', async () => {
    const clock = fakeClock(10_000);
    const limiter = createRateLimiter(transport(), { capacity: 2, refillPerSecond: 1, now: clock.now });
    await limiter.take('a', 'op', 2);
    clock.set(5_000);
    expect((await limiter.take('a', 'op')).allowed).toBe(false);
    clock.set(10_999);
    expect((await limiter.take('a', 'op')).allowed).toBe(false);
    clock.set(11_000);
    expect((await limiter.take('a', 'op')).allowed).toBe(true);
  });

  it('rejects invalid options and requests, naming the option', async () => {
    const t = transport();
    expect(() => createRateLimiter(t, { capacity: 0 })).toThrow(/capacity must be a finite number > 0/);
    expect(() => createRateLimiter(t, { refillPerSecond: -1 })).toThrow(/refillPerSecond/);
    expect(() => createRateLimiter(t, { refillPerSecond: Number.NaN })).toThrow(/refillPerSecond/);
    const limiter = createRateLimiter(t, { capacity: 5 });
    await expect(limiter.take('a', 'op', 6)).rejects.toThrow(/more than the bucket's capacity of 5.*raise capacity/);
    await expect(limiter.take('a', 'op', -1)).rejects.toMatchObject({ code: ERROR_CODES.INVALID_ARGUMENT });
    await expect(limiter.take('a', 'op', 1, { refillPerSecond: 0 })).rejects.toThrow(/refillPerSecond/);
    await expect(limiter.take('a b', 'op')).rejects.toMatchObject({ code: ERROR_CODES.INVALID_ARGUMENT });
  });
});
