import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { createEnvelope } from '@agentbus/schema';
import { createRedisTransport, type Transport } from '@agentbus/transport';
import { uniquePrefix } from '@agentbus/test-utils';
import { createReliability, PermanentError, type Reliability, type ReliabilityOptions } from '../src/index';

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const c of open.splice(0).reverse()) await c.close();
});

function setup(namespace: string, options: ReliabilityOptions = {}): { transport: Transport; rel: Reliability } {
  const transport = createRedisTransport({ url: inject('redisUrl'), namespace });
  const rel = createReliability(transport, options);
  open.push(transport, rel);
  return { transport, rel };
}

/** Publishes `n` envelopes in batches of 500; returns their ids. */
async function publishMany(transport: Transport, topic: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 500) {
    const envs = Array.from({ length: Math.min(500, n - i) }, (_, k) => createEnvelope({ type: 'job', from: 't', payload: i + k }));
    ids.push(...(await transport.publishBatch(topic, envs)).map((r) => r.id));
  }
  return ids;
}

/** Dead-letters everything published to `topic` through group `group` (PermanentError). */
function deadLetterAll(rel: Reliability, topic: string, group = 'dl') {
  const c = rel.consume(topic, () => {
    throw new PermanentError('refused');
  }, { group, blockMs: 50, concurrency: 64 });
  open.push(c);
  return c;
}

const tally = (t: Record<string, number>) =>
  console.log(`tally: ${Object.entries(t).map(([k, v]) => `${k} ${v}`).join(', ')}`);

describe('dead letters at scale (redis)', () => {
  it('replays 2,500 dead letters in pages of 100: bounded reads, progress per page, every one arrives once, in its group only', async () => {
    const { transport, rel } = setup(uniquePrefix('bulk'));
    let fixed = false;
    const handled: string[] = [];
    let other = 0;
    const c = rel.consume('bulk', (env) => {
      if (!fixed) throw new PermanentError('not yet');
      handled.push(env.id);
    }, { group: 'g', blockMs: 50, concurrency: 64 });
    const o = rel.consume('bulk', () => void other++, { group: 'other', blockMs: 50, concurrency: 64 });
    open.push(c, o);
    await Promise.all([c.ready(), o.ready()]);
    const n = 2_500;
    const ids = await publishMany(transport, 'bulk', n);
    await vi.waitFor(async () => expect(await rel.deadLetters.depth('bulk')).toBe(n), { timeout: 30_000, interval: 100 });
    await vi.waitFor(() => expect(other).toBe(n), { timeout: 10_000 });

    fixed = true;
    const xrange = vi.spyOn(transport.redis!, 'xrange');
    const progress: Array<[number, number]> = [];
    const started = performance.now();
    const r = await rel.deadLetters.replay('bulk', 'all', { onProgress: (done, total) => void progress.push([done, total]) });
    const ms = performance.now() - started;
    expect(r).toEqual({ replayed: n, skipped: [] });
    expect(progress).toEqual(Array.from({ length: n / 100 }, (_, i) => [(i + 1) * 100, n]));
    // Pages: each read asks for at most 100 entries; none asks for the whole stream.
    const counts = xrange.mock.calls.map((args) => Number(args[args.indexOf('COUNT') + 1]));
    expect(counts.length).toBeGreaterThanOrEqual(n / 100);
    expect(Math.max(...counts)).toBeLessThanOrEqual(100);

    await vi.waitFor(() => expect(handled).toHaveLength(n), { timeout: 20_000, interval: 100 });
    await new Promise((res) => setTimeout(res, 300));
    expect(handled).toHaveLength(n);
    expect(new Set(handled)).toEqual(new Set(ids));
    expect(other).toBe(n);
    expect(await rel.deadLetters.depth('bulk')).toBe(0);
    tally({ 'dead letters': n, replayed: r.replayed, pages: progress.length, 'xrange calls': counts.length, 'replay ms': Math.round(ms), handled: handled.length, duplicates: handled.length - new Set(handled).size, 'other group': other });
  });

  it('replay by ids looks each id up alone (XRANGE id id) on every partition, never reading the whole DLQ', async () => {
    const namespace = uniquePrefix('byid');
    const transport = createRedisTransport({ url: inject('redisUrl'), namespace, topics: { parts: { partitions: 3 } } });
    const rel = createReliability(transport);
    open.push(transport, rel);
    deadLetterAll(rel, 'parts');
    await publishMany(transport, 'parts', 30);
    await vi.waitFor(async () => expect(await rel.deadLetters.depth('parts')).toBe(30), { timeout: 10_000 });
    const all = await rel.deadLetters.list('parts', { count: 1000 });
    expect(all).toHaveLength(30);
    // Stream ids are per stream: two partitions may hold the same id (then both match it).
    const once = all.filter((d) => all.filter((x) => x.id === d.id).length === 1);
    expect(once.length).toBeGreaterThanOrEqual(4);
    const wanted = [once[0]!, once.at(-1)!, once[1]!].map((d) => d.id);
    const xrange = vi.spyOn(transport.redis!, 'xrange');
    const progress: Array<[number, number]> = [];
    const r = await rel.deadLetters.replay('parts', { ids: [...wanted, '1-1'] }, { to: 'elsewhere', onProgress: (d, t) => void progress.push([d, t]) });
    expect(r).toEqual({ replayed: 3, skipped: [] });
    expect(progress.at(-1)).toEqual([4, 4]);
    // Every read is a lookup of one id: start and end the same.
    expect(xrange.mock.calls.every((args) => args[1] === args[2] && args[1] !== '-')).toBe(true);
    expect(xrange.mock.calls).toHaveLength(4 * 3);
    expect(await rel.deadLetters.depth('parts')).toBe(27);
    expect(await rel.deadLetters.get('parts', wanted[0]!)).toBeUndefined();
    expect(await rel.deadLetters.get('parts', once[2]!.id)).toEqual(once[2]);
    await expect(rel.deadLetters.replay('parts', { ids: ['nope'] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('the dead-letter cap is exact and counts what it drops; a lowered cap drains at most 100 per dead letter', async () => {
    const namespace = uniquePrefix('cap');
    const drops: Array<[string, number]> = [];
    const { transport, rel } = setup(namespace, { deadLetterMaxLen: 5, hooks: { onDeadLetterDropped: (t, n) => void drops.push([t, n]) } });
    deadLetterAll(rel, 'capped');
    await publishMany(transport, 'capped', 12);
    await vi.waitFor(() => expect(drops.reduce((a, [, n]) => a + n, 0)).toBe(7), { timeout: 5000 });
    expect(await rel.deadLetters.depth('capped')).toBe(5);
    expect(await rel.deadLetters.dropped('capped')).toBe(7);
    expect(drops.every(([t, k]) => t === 'capped' && k === 1)).toBe(true);
    // The newest five are kept.
    const kept = (await rel.deadLetters.list('capped')).map((d) => (JSON.parse(d.raw) as { payload: number }).payload).sort((a, b) => a - b);
    expect(kept).toEqual([7, 8, 9, 10, 11]);

    // 150 dead letters without a cap; then the cap is lowered to 10.
    const uncapped = setup(namespace, { deadLetterMaxLen: 0 });
    const first = deadLetterAll(uncapped.rel, 'lowered');
    await publishMany(uncapped.transport, 'lowered', 150);
    await vi.waitFor(async () => expect(await uncapped.rel.deadLetters.depth('lowered')).toBe(150), { timeout: 10_000 });
    await first.close();
    const lowered: number[] = [];
    const small = setup(namespace, { deadLetterMaxLen: 10, hooks: { onDeadLetterDropped: (_t, n) => void lowered.push(n) } });
    deadLetterAll(small.rel, 'lowered');
    await publishMany(small.transport, 'lowered', 1);
    await vi.waitFor(() => expect(lowered).toEqual([100]), { timeout: 5000 });
    expect(await small.rel.deadLetters.depth('lowered')).toBe(51);
    await publishMany(small.transport, 'lowered', 1);
    await vi.waitFor(() => expect(lowered).toEqual([100, 42]), { timeout: 5000 });
    expect(await small.rel.deadLetters.depth('lowered')).toBe(10);
    expect(await small.rel.deadLetters.dropped('lowered')).toBe(142);
    // From what Redis holds now, not from the numbers asserted above.
    tally({
      'cap 5, depth': await rel.deadLetters.depth('capped'),
      'cap 5, dropped': await rel.deadLetters.dropped('capped'),
      'cap 10, dropped': await small.rel.deadLetters.dropped('lowered'),
      'cap 10, depth': await small.rel.deadLetters.depth('lowered'),
    });
  });
});
