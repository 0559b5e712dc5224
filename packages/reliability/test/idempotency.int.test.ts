import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { inject } from 'vitest';
import type { Redis } from 'ioredis';
import { createEnvelope, type Envelope } from '@agentbus/schema';
import { uniquePrefix } from '@agentbus/test-utils';
import { createRedisTransport, type DeliveryContext, type Transport } from '@agentbus/transport';
import { IdempotencyConflictError, createIdempotencyGuard } from '../src/idempotency';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const quiet = { onError: () => undefined };

describe('idempotency guard on Redis', () => {
  let one: Transport;
  let two: Transport;
  let redis: Redis;

  beforeAll(() => {
    const url = inject('redisUrl');
    const namespace = uniquePrefix('idempotency');
    // Two transports, two connections: two "processes" sharing one Redis.
    one = createRedisTransport({ url, namespace });
    two = createRedisTransport({ url, namespace });
    redis = one.redis as Redis;
  });
  afterAll(async () => {
    await Promise.all([one.close(), two.close()]);
  });

  it('keeps a lease while running and a done record with the long TTL after', async () => {
    const guard = createIdempotencyGuard(one, { ...quiet, ttlMs: 120_000, leaseMs: 5_000, scope: 'records' });
    const key = one.keys.key('idempotency', 'records', 'm1');
    let during: [string | null, number] = [null, 0];
    const result = await guard.once('m1', async () => {
      during = [await redis.get(key), await redis.pttl(key)];
      return 'ok';
    });
    expect(result).toEqual({ ran: true, result: 'ok' });
    expect(during[0]).toMatch(/^lease:/);
    expect(during[1]).toBeGreaterThan(4_000);
    expect(during[1]).toBeLessThanOrEqual(5_000);
    expect(await redis.get(key)).toBe('done');
    expect(await redis.pttl(key)).toBeGreaterThan(110_000);
  });

  it('a redelivered message runs its side effect exactly once', async () => {
    const guard = createIdempotencyGuard(one, quiet);
    const effects: string[] = [];
    const handler = guard.wrap(async (env) => {
      effects.push(env.id);
    });
    const env = createEnvelope({ type: 'event', from: 'agent-a', payload: { order: 1 } });
    await handler(env, { deliveryCount: 1 } as DeliveryContext);
    await handler(env, { deliveryCount: 2 } as DeliveryContext);
    // Another process, after a restart, sees the same record.
    await createIdempotencyGuard(two, quiet).wrap(async (e) => void effects.push(e.id))(env, {} as DeliveryContext);
    expect(effects).toEqual([env.id]);
  });

  it('concurrent deliveries from two processes: one runs, the others get a retryable CONFLICT, redelivery skips', async () => {
    const guards = [createIdempotencyGuard(one, quiet), createIdempotencyGuard(two, quiet)];
    let effects = 0;
    const env = createEnvelope({ type: 'event', from: 'agent-a', payload: { order: 2 } });
    const handlers = guards.map((g) =>
      g.wrap(async () => {
        effects++;
        await sleep(100);
      }),
    );
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => handlers[i % 2]!(env, {} as DeliveryContext)),
    );
    expect(effects).toBe(1);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of outcomes) {
      if (o.status === 'rejected') {
        expect(o.reason).toBeInstanceOf(IdempotencyConflictError);
        expect(o.reason).toMatchObject({ code: 'CONFLICT', retryable: true });
      }
    }
    // The redeliveries come later and find the id done.
    await Promise.all(handlers.map((h) => h(env, {} as DeliveryContext)));
    expect(effects).toBe(1);
  });

  it('a failed side effect is removed so the retry runs it', async () => {
    const guard = createIdempotencyGuard(one, quiet);
    await expect(guard.once('fails-once', async () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await redis.exists(one.keys.key('idempotency', 'default', 'fails-once'))).toBe(0);
    expect(await guard.once('fails-once', async () => 'second')).toEqual({ ran: true, result: 'second' });
  });

  it('the lease is renewed while the holder lives and taken over once it crashed', async () => {
    // A 1 s lease (renewed every third of it): no stall of a loaded box outlasts it by chance.
    const alive = createIdempotencyGuard(one, { ...quiet, leaseMs: 1_000 });
    const other = createIdempotencyGuard(two, { ...quiet, leaseMs: 1_000 });
    let release!: () => void;
    const running = alive.once('lease', () => new Promise<string>((r) => (release = () => r('first'))));
    await sleep(2_500); // longer than the lease: renewal keeps it
    await expect(other.once('lease', async () => 'x')).rejects.toBeInstanceOf(IdempotencyConflictError);
    release();
    expect(await running).toEqual({ ran: true, result: 'first' });

    // A crashed holder: its lease is set, nobody renews it.
    const key = one.keys.key('idempotency', 'default', 'crashed');
    await redis.set(key, 'lease:dead-process', 'PX', 1_000);
    const conflict = await other.once('crashed', async () => 'x').catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(IdempotencyConflictError);
    expect((conflict as IdempotencyConflictError).retryAfterMs).toBeLessThanOrEqual(1_000);
    await sleep(1_200);
    expect(await other.once('crashed', async () => 'took over')).toEqual({ ran: true, result: 'took over' });
  });

  it('end to end: the same envelope published twice and consumed by two processes runs once', async () => {
    const topic = 'idem-orders';
    const effects: string[] = [];
    const env: Envelope = createEnvelope({ type: 'event', from: 'agent-a', payload: { order: 3 } });
    // No dedupe on publish: the duplicate reaches the stream, as a redelivery would.
    await one.publish(topic, env);
    await two.publish(topic, env, { dedupeWindowMs: 0 });
    const consumers = [one, two].map((t, i) =>
      t.consume(
        topic,
        createIdempotencyGuard(t, { ...quiet, scope: 'billing' }).wrap(async (e) => {
          effects.push(e.id);
          await sleep(50);
        }),
        { group: 'billing', consumer: `c${i}`, blockMs: 20, claimIdleMs: 200, claimIntervalMs: 50 },
      ),
    );
    await vi.waitFor(() => expect(consumers.reduce((n, c) => n + c.counters().acked, 0)).toBe(2), {
      timeout: 10_000,
      interval: 50,
    });
    await Promise.all(consumers.map((c) => c.close()));
    expect(effects).toEqual([env.id]);
  });

  it('turns Redis failures into AgentbusErrors', async () => {
    const closed = createRedisTransport({ url: inject('redisUrl'), namespace: uniquePrefix('idempotency-closed') });
    const guard = createIdempotencyGuard(closed, quiet);
    await closed.close();
    const fn = vi.fn(async () => 1);
    await expect(guard.once('m', fn)).rejects.toMatchObject({ code: expect.any(String) });
    expect(fn).not.toHaveBeenCalled();
  });
});
