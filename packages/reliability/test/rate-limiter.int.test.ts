import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { Redis } from 'ioredis';
import { uniquePrefix } from '@agentbus/test-utils';
import { createRedisTransport, type Transport } from '@agentbus/transport';
import { RateLimitedError } from '../src/errors';
import { createRateLimiter } from '../src/rate-limiter';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('rate limiter on Redis', () => {
  let one: Transport;
  let two: Transport;
  let redis: Redis;

  beforeAll(() => {
    const url = inject('redisUrl');
    const namespace = uniquePrefix('ratelimit');
    // Two transports, two connections: two "processes" sharing one Redis.
    one = createRedisTransport({ url, namespace });
    two = createRedisTransport({ url, namespace });
    redis = one.redis as Redis;
  });
  afterAll(async () => {
    await Promise.all([one.close(), two.close()]);
  });

  it('is atomic across processes: a concurrent burst gets exactly capacity', async () => {
    // Nearly no refill during the burst, so the count is exact.
    const opts = { capacity: 10, refillPerSecond: 0.01 };
    const a = createRateLimiter(one, opts);
    const b = createRateLimiter(two, opts);
    const calls = Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? a : b).take('acme', 'burst'));
    const decisions = await Promise.all(calls);
    expect(decisions.filter((d) => d.allowed)).toHaveLength(10);
    const refused = decisions.filter((d) => !d.allowed);
    expect(refused).toHaveLength(50);
    for (const d of refused) {
      expect(d.remaining).toBe(0);
      expect(d.retryAfterMs).toBeGreaterThan(90_000); // 1 token at 0.01/s: ~100 s
      expect(d.retryAfterMs).toBeLessThanOrEqual(100_000);
    }
  });

  it('stores the bucket as a hash under keys.key(ratelimit, tenant, operation) with a PEXPIRE', async () => {
    const limiter = createRateLimiter(one, { capacity: 4, refillPerSecond: 2 });
    await limiter.take('acme', 'hash', 3);
    const key = one.keys.key('ratelimit', 'acme', 'hash');
    expect(await redis.type(key)).toBe('hash');
    const state = await redis.hgetall(key);
    expect(Number(state.tokens)).toBeCloseTo(1, 1);
    const [sec, usec] = await redis.time();
    expect(Math.abs(Number(state.ts) - (Number(sec) * 1000 + Number(usec) / 1000))).toBeLessThan(1_000);
    // 3 tokens missing at 2/s: full again after 1.5 s, when the bucket vanishes.
    const pttl = await redis.pttl(key);
    expect(pttl).toBeGreaterThan(1_300);
    expect(pttl).toBeLessThanOrEqual(1_501);
  });

  it('idle buckets vanish once they would be full', async () => {
    const limiter = createRateLimiter(one, { capacity: 2, refillPerSecond: 50 });
    await limiter.take('acme', 'idle', 2);
    const key = one.keys.key('ratelimit', 'acme', 'idle');
    expect(await redis.exists(key)).toBe(1);
    await sleep(150);
    expect(await redis.exists(key)).toBe(0);
    expect(await limiter.take('acme', 'idle', 0)).toEqual({ allowed: true, remaining: 2, retryAfterMs: 0 });
  });

  it('refills over time and retryAfterMs is accurate', async () => {
    // One token per second: every window below is hundreds of ms wide, so a stall of a shared
    // 2-core box cannot close it.
    const limiter = createRateLimiter(one, { capacity: 3, refillPerSecond: 1 });
    const peer = createRateLimiter(two, { capacity: 3, refillPerSecond: 1 });
    expect((await limiter.take('acme', 'refill', 3)).allowed).toBe(true);
    const refused = await peer.take('acme', 'refill');
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs).toBeGreaterThan(600);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(1_000);
    // Half way: still refused, and the wait left has shrunk accordingly.
    await sleep(refused.retryAfterMs / 2);
    const halfway = await limiter.take('acme', 'refill');
    expect(halfway.allowed).toBe(false);
    expect(halfway.retryAfterMs).toBeLessThan(refused.retryAfterMs);
    await sleep(halfway.retryAfterMs + 5);
    expect(await peer.take('acme', 'refill')).toMatchObject({ allowed: true, remaining: 0 });
    // Quiet seconds refill to capacity, never beyond.
    await sleep(3_200);
    expect(await limiter.take('acme', 'refill', 0)).toEqual({ allowed: true, remaining: 3, retryAfterMs: 0 });
  });

  it('uses the server clock: clients with skewed clocks agree', async () => {
    const ahead = createRateLimiter(one, { capacity: 2, refillPerSecond: 1, now: () => Date.now() + 3_600_000 });
    const behind = createRateLimiter(two, { capacity: 2, refillPerSecond: 1, now: () => Date.now() - 3_600_000 });
    expect((await ahead.take('acme', 'skew')).allowed).toBe(true);
    expect((await behind.take('acme', 'skew')).allowed).toBe(true);
    const refused = await ahead.take('acme', 'skew');
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs).toBeGreaterThan(800);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(1_000);
    expect((await behind.take('acme', 'skew')).allowed).toBe(false);
  });

  it('per-call overrides and consume', async () => {
    const limiter = createRateLimiter(one, { capacity: 1, refillPerSecond: 1 });
    const plan = { capacity: 5, refillPerSecond: 1 };
    expect(await limiter.consume('big', 'op', 5, plan)).toMatchObject({ allowed: true, remaining: 0 });
    const error = await limiter.consume('big', 'op', 1, plan).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBeGreaterThan(800);
    await limiter.reset('big', 'op');
    expect(await limiter.take('big', 'op', 0, plan)).toMatchObject({ remaining: 5 });
  });

  it('turns Redis failures into AgentbusErrors', async () => {
    const closed = createRedisTransport({ url: inject('redisUrl'), namespace: uniquePrefix('ratelimit-closed') });
    const limiter = createRateLimiter(closed);
    await closed.close();
    await expect(limiter.take('a', 'op')).rejects.toMatchObject({ name: expect.stringMatching(/Error/), code: expect.any(String) });
    await expect(limiter.reset('a', 'op')).rejects.toMatchObject({ code: expect.any(String) });
  });
});
