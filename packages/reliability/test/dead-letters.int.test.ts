import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import {
  createEnvelope,
  generateSigningKeyPair,
  signEnvelope,
  verifyEnvelope,
  type Envelope,
} from '@agentbus/schema';
import { createMemoryTransport, createRedisTransport, type Transport } from '@agentbus/transport';
import { uniquePrefix } from '@agentbus/test-utils';
import { createReliability, type Reliability } from '../src/index';

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

function setup(kind: 'redis' | 'memory'): { transport: Transport; rel: Reliability } {
  const namespace = uniquePrefix('rel');
  const transport = kind === 'redis' ? createRedisTransport({ url: inject('redisUrl'), namespace }) : createMemoryTransport({ namespace });
  const rel = createReliability(transport, { retry: { delaysMs: [100, 200], jitter: 0 }, schedulerIntervalMs: 50 });
  open.push(transport, rel);
  return { transport, rel };
}

const tally = (t: Record<string, number>) =>
  console.log(`tally: ${Object.entries(t).map(([k, v]) => `${k} ${v}`).join(', ')}`);

describe.each(['redis', 'memory'] as const)('retries and dead letters (%s)', (kind) => {
  it('a handler that always throws runs exactly the configured attempts, then lands in the dead-letter stream; replay and a fixed handler complete it', async () => {
    const { transport, rel } = setup(kind);
    const attempts: Array<[number, number]> = [];
    let fixed = false;
    const handled: string[] = [];
    const c = rel.consume(
      'jobs',
      (env, ctx) => {
        if (!fixed) {
          attempts.push([ctx.attempt, Date.now()]);
          throw new Error(`boom ${ctx.attempt}`);
        }
        handled.push(env.id);
      },
      { group: 'workers' },
    );
    open.push(c);
    const env = createEnvelope({ type: 'job', from: 'test', payload: { n: 1 } });
    await transport.publish('jobs', env);
    await vi.waitFor(async () => expect(await rel.deadLetters.depth('jobs')).toBe(1), { timeout: 5000, interval: 50 });
    expect(attempts.map(([a]) => a)).toEqual([1, 2, 3]);
    // Backoff: the retries waited about 100 ms and 200 ms.
    expect(attempts[1]![1] - attempts[0]![1]).toBeGreaterThanOrEqual(90);
    expect(attempts[2]![1] - attempts[1]![1]).toBeGreaterThanOrEqual(190);
    const [dead] = await rel.deadLetters.list('jobs');
    expect(dead).toMatchObject({ reason: 'max-deliveries', error: 'boom 3', envelopeId: env.id, topic: 'jobs', group: 'workers' });
    expect(dead!.attempts.map((a) => [a.attempt, a.error])).toEqual([[1, 'boom 1'], [2, 'boom 2'], [3, 'boom 3']]);
    expect(await rel.deadLetters.get('jobs', dead!.id)).toEqual(dead);
    await vi.waitFor(async () => expect((await transport.stats('jobs')).groups[0]!.pending).toBe(0));

    fixed = true;
    const progress: number[] = [];
    const r = await rel.deadLetters.replay('jobs', 'all', { onProgress: (d) => void progress.push(d) });
    expect(r).toEqual({ replayed: 1, skipped: [] });
    expect(progress).toEqual([1]);
    await vi.waitFor(() => expect(handled).toEqual([env.id]), { timeout: 3000 });
    expect(await rel.deadLetters.depth('jobs')).toBe(0);
    tally({ sent: 1, handled: handled.length, attempts: attempts.length, 'dead-lettered': 1, lost: 1 - handled.length });
  });

  it('a PermanentError skips the retries; purge removes dead letters', async () => {
    const { transport, rel } = setup(kind);
    const { PermanentError } = await import('../src/index');
    let runs = 0;
    open.push(rel.consume('p', () => {
      runs++;
      throw new PermanentError('cannot ever work');
    }, { group: 'g' }));
    await transport.publishBatch('p', [1, 2].map((n) => createEnvelope({ type: 'job', from: 't', payload: n })));
    await vi.waitFor(async () => expect(await rel.deadLetters.depth('p')).toBe(2), { timeout: 3000 });
    expect(runs).toBe(2);
    const list = await rel.deadLetters.list('p');
    expect(list.map((d) => d.reason)).toEqual(['handler-error', 'handler-error']);
    expect(await rel.deadLetters.purge('p', { ids: [list[0]!.id] })).toBe(1);
    expect(await rel.deadLetters.purge('p')).toBe(1);
    expect(await rel.deadLetters.depth('p')).toBe(0);
  });

  it('replays a range to another topic, leaving the rest', async () => {
    const { transport, rel } = setup(kind);
    open.push(rel.consume('src', () => {
      throw new Error('no');
    }, { group: 'g' }));
    await transport.publishBatch('src', [1, 2, 3].map((n) => createEnvelope({ type: 'job', from: 't', payload: n })));
    await vi.waitFor(async () => expect(await rel.deadLetters.depth('src')).toBe(3), { timeout: 5000 });
    const all = await rel.deadLetters.list('src');
    const got: unknown[] = [];
    open.push(transport.consume('other', (env, ctx) => void got.push([env.payload, ctx.headers?.replayedFrom]), { group: 'g' }));
    const r = await rel.deadLetters.replay('src', { from: all[0]!.id, to: all[1]!.id }, { to: 'other' });
    expect(r.replayed).toBe(2);
    await vi.waitFor(() => expect(got).toHaveLength(2));
    expect(got).toEqual([[1, all[0]!.id], [2, all[1]!.id]]);
    expect((await rel.deadLetters.list('src')).map((d) => d.id)).toEqual([all[2]!.id]);
    expect(await rel.deadLetters.replay('src', { ids: [all[2]!.id] }, { to: 'other' })).toEqual({ replayed: 1, skipped: [] });
  });
});

describe('bad input written straight into a stream (redis)', () => {
  it('malformed JSON, wrong schema, oversized, bad signature and expired each go to the dead-letter stream with their reason, while the consumer keeps running', async () => {
    const url = inject('redisUrl');
    const namespace = uniquePrefix('bad');
    const transport = createRedisTransport({ url, namespace, codec: { maxBytes: 4096 } });
    const rel = createReliability(transport, { schedulerIntervalMs: 50 });
    open.push(transport, rel);
    const keys = generateSigningKeyPair();
    const handled: unknown[] = [];
    const c = rel.consume('inbox', (env) => void handled.push(env.payload), {
      group: 'g',
      verify: (env: Envelope) => {
        const r = verifyEnvelope(env, keys.publicKey);
        return r.ok ? undefined : r.error;
      },
    });
    open.push(c);
    await c.ready();

    const raw = new Redis(url);
    const stream = transport.keys.lane('inbox', 'normal');
    const good = (payload: unknown, extra = {}) => signEnvelope(createEnvelope({ type: 'note', from: 'a', payload, ...extra }), keys.privateKey);
    await raw.xadd(stream, '*', 'env', '{"id": not json');
    await raw.xadd(stream, '*', 'env', JSON.stringify({ ...good('x'), act: 'shout' }));
    await raw.xadd(stream, '*', 'env', JSON.stringify(good('y'.repeat(10_000))));
    await raw.xadd(stream, '*', 'env', JSON.stringify({ ...good('z'), payload: 'tampered' }));
    await raw.xadd(stream, '*', 'env', JSON.stringify(good('old', { ts: Date.now() - 60_000, ttlMs: 1000 })));
    await raw.xadd(stream, '*', 'other', 'no env field');
    await raw.xadd(stream, '*', 'env', JSON.stringify(good('fine')));
    raw.disconnect();

    await vi.waitFor(async () => expect(await rel.deadLetters.depth('inbox')).toBe(6), { timeout: 5000, interval: 50 });
    // The good entry runs concurrently with the rejections: it may settle after the sixth dead letter.
    await vi.waitFor(() => expect(handled).toEqual(['fine']), { timeout: 5000, interval: 20 });
    const dead = await rel.deadLetters.list('inbox');
    expect(dead.map((d) => d.reason)).toEqual(['invalid', 'invalid', 'invalid', 'bad-signature', 'expired', 'invalid']);
    expect(dead[0]!.raw).toBe('{"id": not json');
    expect(dead[1]!.error).toMatch(/act/);
    expect(dead[2]!.error).toMatch(/maxBytes/);
    // Nothing lost: each dead letter keeps the raw text as written.
    expect(dead[2]!.raw.length).toBeGreaterThan(10_000);
    const r = await rel.deadLetters.replay('inbox', 'all');
    // Malformed, wrong schema, oversized, no env field: not replayable as they are, so kept.
    expect(r.skipped).toHaveLength(4);
    expect(r.replayed).toBe(2);
    await vi.waitFor(async () => expect(await transport.stats('inbox')).toMatchObject({ groups: [{ pending: 0 }] }));
    tally({ sent: 7, handled: handled.length, 'dead-lettered': dead.length, lost: 7 - handled.length - dead.length });
  });
});

describe('idempotency with retries (redis)', () => {
  it('a message whose side effect is running elsewhere is redelivered later without using up its attempts', async () => {
    const { createIdempotencyGuard } = await import('../src/index');
    const url = inject('redisUrl');
    const namespace = uniquePrefix('idem');
    const transport = createRedisTransport({ url, namespace });
    const rel = createReliability(transport, { retry: { delaysMs: [50], maxAttempts: 2, jitter: 0 }, schedulerIntervalMs: 30 });
    open.push(transport, rel);
    const guard = createIdempotencyGuard(transport, { leaseMs: 300 });
    const env = createEnvelope({ type: 'pay', from: 'a', payload: 1 });
    // Someone else holds the lease for a while.
    let release!: () => void;
    const held = guard.once(env.id, () => new Promise<void>((r) => (release = r)));
    await vi.waitFor(() => expect(release).toBeTypeOf('function'));
    let effects = 0;
    const c = rel.consume('pay', guard.wrap(async () => {
      effects++;
    }), { group: 'g' });
    open.push(c);
    await transport.publish('pay', env);
    await new Promise((r) => setTimeout(r, 400));
    release();
    expect((await held).ran).toBe(true);
    await new Promise((r) => setTimeout(r, 600));
    // The other holder did the work; ours saw it done: no second effect, nothing dead-lettered.
    expect(effects).toBe(0);
    expect(await rel.deadLetters.depth('pay')).toBe(0);
    expect(await rel.delayed('pay')).toBe(0);
  });
});
