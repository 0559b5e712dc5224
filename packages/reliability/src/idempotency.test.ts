import { afterEach, describe, expect, it, vi } from 'vitest';
import { ERROR_CODES, createEnvelope, isAgentbusError } from '@agentbus/schema';
import { createMemoryTransport, type DeliveryContext, type Transport } from '@agentbus/transport';
import {
  DEFAULT_IDEMPOTENCY_OPTIONS,
  IdempotencyConflictError,
  createIdempotencyGuard,
  type IdempotencyOptions,
} from './idempotency';

function fakeClock(start = 1_700_000_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('idempotency guard (memory backend)', () => {
  const transports: Transport[] = [];
  const transport = (): Transport => {
    const t = createMemoryTransport({ namespace: 'idem-test' });
    transports.push(t);
    return t;
  };
  const quiet: IdempotencyOptions = { onError: () => undefined };
  afterEach(async () => {
    await Promise.all(transports.splice(0).map((t) => t.close()));
  });

  it('has documented defaults', () => {
    expect(DEFAULT_IDEMPOTENCY_OPTIONS).toEqual({ scope: 'default', ttlMs: 86_400_000, leaseMs: 30_000 });
    expect(createIdempotencyGuard(transport()).options).toEqual(DEFAULT_IDEMPOTENCY_OPTIONS);
  });

  it('runs fn once per id and returns its result', async () => {
    const guard = createIdempotencyGuard(transport(), quiet);
    const fn = vi.fn(async () => 42);
    expect(await guard.once('m1', fn)).toEqual({ ran: true, result: 42 });
    expect(await guard.once('m1', fn)).toEqual({ ran: false });
    expect(fn).toHaveBeenCalledTimes(1);
    expect(await guard.once('m2', fn)).toEqual({ ran: true, result: 42 });
    expect(fn).toHaveBeenCalledTimes(2);
  });

  it('keeps the done record for ttlMs, then forgets it', async () => {
    const clock = fakeClock();
    const guard = createIdempotencyGuard(transport(), { ...quiet, now: clock.now, ttlMs: 60_000 });
    const fn = vi.fn(async () => 'ok');
    await guard.once('m', fn);
    clock.advance(59_999);
    expect((await guard.once('m', fn)).ran).toBe(false);
    clock.advance(1);
    expect((await guard.once('m', fn)).ran).toBe(true);
    expect(fn).toHaveBeenCalledTimes(2);
  });

  it('removes the record when fn throws, so a retry runs it again', async () => {
    const guard = createIdempotencyGuard(transport(), quiet);
    const boom = new Error('side effect failed');
    await expect(guard.once('m', async () => Promise.reject(boom))).rejects.toBe(boom);
    expect(await guard.once('m', async () => 'second try')).toEqual({ ran: true, result: 'second try' });
  });

  it('rejects a concurrent call with a retryable CONFLICT while the lease is live', async () => {
    const clock = fakeClock();
    const t = transport();
    const a = createIdempotencyGuard(t, { ...quiet, now: clock.now, leaseMs: 10_000 });
    const b = createIdempotencyGuard(t, { ...quiet, now: clock.now, leaseMs: 10_000 });
    const gate = deferred();
    const running = a.once('m', async () => {
      await gate.promise;
      return 'a';
    });
    clock.advance(4_000);
    const error = await b.once('m', async () => 'b').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyConflictError);
    expect(isAgentbusError(error)).toBe(true);
    expect(error).toMatchObject({ code: ERROR_CODES.CONFLICT, retryable: true, id: 'm', retryAfterMs: 6_000 });
    expect((error as Error).message).toMatch(/leaseMs/);
    gate.resolve();
    expect(await running).toEqual({ ran: true, result: 'a' });
    expect(await b.once('m', async () => 'b')).toEqual({ ran: false });
  });

  it('lets another consumer take over an expired lease (the holder crashed)', async () => {
    const clock = fakeClock();
    const t = transport();
    const crashed = createIdempotencyGuard(t, { ...quiet, now: clock.now, leaseMs: 5_000 });
    const survivor = createIdempotencyGuard(t, { ...quiet, now: clock.now, leaseMs: 5_000 });
    // The first holder never finishes (its process died mid-side-effect).
    void crashed.once('m', () => new Promise<never>(() => undefined));
    await Promise.resolve();
    await expect(survivor.once('m', async () => 'x')).rejects.toBeInstanceOf(IdempotencyConflictError);
    clock.advance(5_000);
    expect(await survivor.once('m', async () => 'taken over')).toEqual({ ran: true, result: 'taken over' });
    expect(await survivor.once('m', async () => 'again')).toEqual({ ran: false });
  });

  it('a holder whose lease was taken over still marks done and reports the lost lease', async () => {
    const clock = fakeClock();
    const t = transport();
    const onError = vi.fn();
    const slow = createIdempotencyGuard(t, { now: clock.now, leaseMs: 60_000, onError });
    const other = createIdempotencyGuard(t, { now: clock.now, leaseMs: 60_000, onError });
    const gate = deferred();
    const first = slow.once('m', async () => gate.promise);
    clock.advance(60_000);
    const gate2 = deferred();
    const second = other.once('m', async () => gate2.promise);
    gate.resolve();
    expect((await first).ran).toBe(true);
    // The second holder's failure must not remove the done record the first one wrote.
    gate2.reject(new Error('fails'));
    await expect(second).rejects.toThrow('fails');
    expect(await other.once('m', async () => 'no')).toEqual({ ran: false });
  });

  it('renews the lease while fn runs, so a long side effect is not taken over', async () => {
    const t = transport();
    const a = createIdempotencyGuard(t, { ...quiet, leaseMs: 60 });
    const b = createIdempotencyGuard(t, { ...quiet, leaseMs: 60 });
    const gate = deferred();
    const running = a.once('m', async () => gate.promise);
    await new Promise((r) => setTimeout(r, 200));
    await expect(b.once('m', async () => 'b')).rejects.toBeInstanceOf(IdempotencyConflictError);
    gate.resolve();
    expect((await running).ran).toBe(true);
    expect((await b.once('m', async () => 'b')).ran).toBe(false);
  });

  it('reports a lease lost during renewal', async () => {
    const clock = fakeClock();
    const t = transport();
    const onError = vi.fn();
    const a = createIdempotencyGuard(t, { now: clock.now, leaseMs: 30, onError });
    const b = createIdempotencyGuard(t, { ...quiet, now: clock.now, leaseMs: 30 });
    const gate = deferred();
    const running = a.once('m', async () => gate.promise);
    clock.advance(30); // the fake clock expires the lease before the real-time renewal fires
    const taken = b.once('m', async () => new Promise<void>((r) => setTimeout(r, 100)));
    await vi.waitFor(() => expect(onError).toHaveBeenCalled());
    expect(onError.mock.calls[0]![0].message).toMatch(/lost the processing lease.*raise leaseMs/);
    gate.resolve();
    await Promise.all([running, taken]);
  });

  it('scopes records: the same id in two scopes runs twice', async () => {
    const t = transport();
    const guard = createIdempotencyGuard(t, quiet);
    const fn = vi.fn(async () => undefined);
    await guard.once('m', fn, { scope: 'billing' });
    await guard.once('m', fn, { scope: 'email' });
    await guard.once('m', fn, { scope: 'email' });
    await createIdempotencyGuard(t, { ...quiet, scope: 'email' }).once('m', fn);
    expect(fn).toHaveBeenCalledTimes(2);
  });

  it('guards on different transports do not share records', async () => {
    const fn = vi.fn(async () => undefined);
    await createIdempotencyGuard(transport(), quiet).once('m', fn);
    await createIdempotencyGuard(transport(), quiet).once('m', fn);
    expect(fn).toHaveBeenCalledTimes(2);
  });

  it('wrap runs a handler once per envelope id', async () => {
    const guard = createIdempotencyGuard(transport(), quiet);
    const seen: string[] = [];
    const handler = guard.wrap(async (env) => {
      seen.push(env.id);
    });
    const env = createEnvelope({ type: 'event', from: 'agent-a', payload: { n: 1 } });
    const other = createEnvelope({ type: 'event', from: 'agent-a', payload: { n: 2 } });
    const ctx = {} as DeliveryContext;
    await handler(env, ctx);
    await handler(env, { ...ctx, deliveryCount: 2 });
    await handler(other, ctx);
    expect(seen).toEqual([env.id, other.id]);
  });

  it('wrap lets a failing handler fail and run again on redelivery', async () => {
    const guard = createIdempotencyGuard(transport(), quiet);
    let calls = 0;
    const handler = guard.wrap(() => {
      calls++;
      if (calls === 1) throw new Error('transient');
    });
    const env = createEnvelope({ type: 'event', from: 'agent-a', payload: {} });
    await expect(handler(env, {} as DeliveryContext)).rejects.toThrow('transient');
    await handler(env, {} as DeliveryContext);
    await handler(env, {} as DeliveryContext);
    expect(calls).toBe(2);
  });

  it('wrap on a real memory consumer: a redelivered message runs its side effect once', async () => {
    const t = transport();
    const guard = createIdempotencyGuard(t, quiet);
    const effects: string[] = [];
    const env = createEnvelope({ type: 'event', from: 'agent-a', payload: { order: 7 } });
    // The same envelope id twice: a publisher retry without dedupe, or a redelivery.
    await t.publish('orders', env);
    await t.publish('orders', env, { dedupeWindowMs: 0 });
    const consumer = t.consume(
      'orders',
      guard.wrap((e) => {
        effects.push(e.id);
      }),
      // Both copies may be in flight at once: the second gets CONFLICT, stays pending and is
      // reclaimed soon after, then finds the id done.
      { group: 'billing', blockMs: 10, claimIdleMs: 50, claimIntervalMs: 20 },
    );
    // At least 2: with claimIdleMs 50 a stalled event loop may let a copy be reclaimed before its ack lands (at-least-once); the side effect still runs once.
    await vi.waitFor(() => expect(consumer.counters().acked).toBeGreaterThanOrEqual(2), { timeout: 5_000 });
    await consumer.close();
    expect(effects).toEqual([env.id]);
  });

  it('marks done even if recording needs retries, and reports when it cannot', async () => {
    const clock = fakeClock();
    let failing = true;
    const onError = vi.fn();
    const guard = createIdempotencyGuard(transport(), {
      leaseMs: 1_000,
      onError,
      now: () => {
        // The clock is read by every store step; fail the steps after fn ran.
        if (failing && clock.now() > 1_700_000_000_000) throw new Error('store down');
        return clock.now();
      },
    });
    const result = await guard.once('m', async () => {
      clock.advance(1);
      return 'done';
    });
    expect(result).toEqual({ ran: true, result: 'done' });
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError.mock.calls[0]![0].message).toBe('store down');
    failing = false;
    // Unrecorded: the lease expires and a redelivery would run again (reported above).
    clock.advance(1_000);
    expect((await guard.once('m', async () => 'again')).ran).toBe(true);
  });

  it('a failing release is reported and the original error still thrown', async () => {
    const clock = fakeClock();
    let failing = false;
    const onError = vi.fn(() => {
      throw new Error('hook fails too');
    });
    const guard = createIdempotencyGuard(transport(), {
      onError,
      now: () => {
        if (failing) throw new Error('store down');
        return clock.now();
      },
    });
    const boom = new Error('boom');
    await expect(
      guard.once('m', async () => {
        failing = true;
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: 'store down' }), 'm');
  });

  it('the default error hook emits a process warning', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    let failing = false;
    const guard = createIdempotencyGuard(transport(), {
      now: () => {
        if (failing) throw new Error('store down');
        return 0;
      },
    });
    await expect(
      guard.once('m', async () => {
        failing = true;
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/idempotency \(id m\): store down/), expect.anything());
    warn.mockRestore();
  });

  it('rejects invalid options, naming the option', async () => {
    const t = transport();
    expect(() => createIdempotencyGuard(t, { ttlMs: 0 })).toThrow(/ttlMs must be a whole number of ms > 0.*set ttlMs/);
    expect(() => createIdempotencyGuard(t, { leaseMs: 1.5 })).toThrow(/leaseMs/);
    expect(() => createIdempotencyGuard(t, { scope: '' })).toThrow(/scope/);
    const guard = createIdempotencyGuard(t, quiet);
    await expect(guard.once('m', async () => 1, { leaseMs: -1 })).rejects.toMatchObject({ code: ERROR_CODES.INVALID_ARGUMENT });
    await expect(guard.once('has space', async () => 1)).rejects.toMatchObject({ code: ERROR_CODES.INVALID_ARGUMENT });
  });
});
