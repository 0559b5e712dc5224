import { afterEach, describe, expect, it, vi } from 'vitest';
import { createEnvelope } from '@agentbus/schema';
import { createMemoryTransport, type Consumer, type Transport, type TransportOptions } from '@agentbus/transport';
import { createReliability, PermanentError, type Reliability, type ReliabilityOptions } from './index';

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

function setup(options: ReliabilityOptions = {}, transportOptions: TransportOptions = {}): { transport: Transport; rel: Reliability } {
  const transport = createMemoryTransport(transportOptions);
  const rel = createReliability(transport, { retry: { delaysMs: [30, 30], jitter: 0 }, schedulerIntervalMs: 10, ...options });
  open.push(transport, rel);
  return { transport, rel };
}

function consume(rel: Reliability, topic: string, group: string, handler: Parameters<Reliability['consume']>[1]): Consumer {
  const c = rel.consume(topic, handler, { group, blockMs: 10 });
  open.push(c);
  return c;
}

/** Dead-letters `n` envelopes of `topic` through group `group`. */
async function deadLetters(transport: Transport, rel: Reliability, topic: string, n: number, group = 'dl'): Promise<void> {
  const c = consume(rel, topic, group, () => {
    throw new PermanentError('refused');
  });
  await c.ready();
  await transport.publishBatch(topic, Array.from({ length: n }, (_, i) => createEnvelope({ type: 'job', from: 't', payload: i })));
  await vi.waitFor(async () => expect(await rel.deadLetters.depth(topic)).toBe(n), { timeout: 3000, interval: 10 });
  await c.close();
}

const settle = (ms = 150) => new Promise((r) => setTimeout(r, ms));

describe('reliability on the memory backend', () => {
  it('retries stay in their group: 3 groups, one failing twice per message; the others get each message once', async () => {
    const { transport, rel } = setup();
    const seen: Record<string, Array<[string, number]>> = { billing: [], audit: [], search: [] };
    for (const group of Object.keys(seen)) {
      await consume(rel, 'orders', group, (env, ctx) => {
        seen[group]!.push([env.id, ctx.attempt]);
        if (group === 'billing' && ctx.attempt < 3) throw new Error('not yet');
      }).ready();
    }
    const envs = Array.from({ length: 5 }, (_, i) => createEnvelope({ type: 'order', from: 'shop', payload: i }));
    await transport.publishBatch('orders', envs);
    await vi.waitFor(() => expect(seen.billing!.filter(([, a]) => a === 3)).toHaveLength(5), { timeout: 3000, interval: 10 });
    await settle();
    const ids = envs.map((e) => e.id).sort();
    expect(seen.audit!.map(([id]) => id).sort()).toEqual(ids);
    expect(seen.search!.map(([id]) => id).sort()).toEqual(ids);
    for (const id of ids) expect(seen.billing!.filter(([x]) => x === id).map(([, a]) => a)).toEqual([1, 2, 3]);
    expect(await rel.delayed('orders')).toBe(0);
  });

  it('replays to the group the message died in; allGroups to every group; to another topic', async () => {
    const { transport, rel } = setup();
    let fixed = false;
    const billing: unknown[] = [];
    const audit: unknown[] = [];
    await consume(rel, 'orders', 'billing', (env) => {
      if (!fixed) throw new PermanentError('down');
      billing.push(env.payload);
    }).ready();
    await consume(rel, 'orders', 'audit', (env) => void audit.push(env.payload)).ready();
    await transport.publishBatch('orders', [1, 2, 3].map((n) => createEnvelope({ type: 'o', from: 's', payload: n })));
    await vi.waitFor(async () => expect(await rel.deadLetters.depth('orders')).toBe(3), { timeout: 3000, interval: 10 });
    const [first, second] = await rel.deadLetters.list('orders');
    fixed = true;
    expect(await rel.deadLetters.replay('orders', { ids: [first!.id] })).toEqual({ replayed: 1, skipped: [] });
    await vi.waitFor(() => expect(billing).toEqual([1]));
    expect(await rel.deadLetters.replay('orders', { ids: [second!.id] }, { allGroups: true })).toEqual({ replayed: 1, skipped: [] });
    await vi.waitFor(() => expect(billing).toEqual([1, 2]));
    await vi.waitFor(() => expect(audit).toEqual([1, 2, 3, 2]));
    const elsewhere: unknown[] = [];
    await consume(rel, 'elsewhere', 'x', (env) => void elsewhere.push(env.payload)).ready();
    expect(await rel.deadLetters.replay('orders', 'all', { to: 'elsewhere' })).toEqual({ replayed: 1, skipped: [] });
    await vi.waitFor(() => expect(elsewhere).toEqual([3]));
    await settle();
    expect(billing).toEqual([1, 2]);
    expect(audit).toEqual([1, 2, 3, 2]);
  });

  it('caps each dead-letter stream exactly and counts what it drops', async () => {
    const dropped: number[] = [];
    const { transport, rel } = setup({ deadLetterMaxLen: 3, hooks: { onDeadLetterDropped: (_t, n) => void dropped.push(n) } });
    const c = consume(rel, 'capped', 'g', () => {
      throw new PermanentError('no');
    });
    await c.ready();
    await transport.publishBatch('capped', Array.from({ length: 7 }, (_, i) => createEnvelope({ type: 'j', from: 't', payload: i })));
    await vi.waitFor(() => expect(dropped).toEqual([1, 1, 1, 1]), { timeout: 3000, interval: 10 });
    expect(await rel.deadLetters.depth('capped')).toBe(3);
    expect(await rel.deadLetters.dropped('capped')).toBe(4);
    expect((await rel.deadLetters.list('capped')).map((d) => JSON.parse(d.raw).payload)).toEqual([4, 5, 6]);
  });

  it('pages a replay and reports progress per page; a range reports what it really held at the end', async () => {
    const { transport, rel } = setup();
    await deadLetters(transport, rel, 'paged', 7);
    const all = await rel.deadLetters.list('paged');
    const progress: Array<[number, number]> = [];
    const onProgress = (done: number, total: number) => void progress.push([done, total]);
    expect((await rel.deadLetters.replay('paged', { count: 5 }, { pageSize: 2, onProgress, to: 'sink' })).replayed).toBe(5);
    expect(progress).toEqual([[2, 5], [4, 5], [5, 5]]);
    progress.length = 0;
    // A range from the 6th: the two left; the total first guessed from the depth is corrected at the end.
    expect((await rel.deadLetters.replay('paged', { from: all[5]!.id, to: all[6]!.id }, { onProgress, to: 'sink' })).replayed).toBe(2);
    expect(progress).toEqual([[2, 2]]);
    expect(await rel.deadLetters.depth('paged')).toBe(0);
    progress.length = 0;
    await deadLetters(transport, rel, 'paged2', 3);
    const more = await rel.deadLetters.list('paged2');
    expect((await rel.deadLetters.replay('paged2', { from: more[1]!.id }, { onProgress, to: 'sink' })).replayed).toBe(2);
    expect(progress).toEqual([[2, 3], [2, 2]]);
    expect(await rel.deadLetters.replay('paged2', { ids: [more[0]!.id, more[0]!.id, '99-0'] }, { onProgress, to: 'sink' })).toEqual({ replayed: 1, skipped: [] });
    expect(progress.at(-1)).toEqual([2, 2]);
  });

  it('lists across partitions, partition by partition, only as many as asked; gets by id', async () => {
    const { transport, rel } = setup({}, { topics: { parts: { partitions: 3 } } });
    await deadLetters(transport, rel, 'parts', 9);
    expect(await rel.deadLetters.list('parts', { count: 4 })).toHaveLength(4);
    const all = await rel.deadLetters.list('parts', { count: 100 });
    expect(all).toHaveLength(9);
    // Partition by partition: partition 0's first, then 1's, then 2's.
    const order = all.map((d) => d.partitionTopic);
    expect(order).toEqual([...order].sort());
    expect(new Set(order).size).toBeGreaterThan(1);
    expect(await rel.deadLetters.get('parts', all[8]!.id)).toEqual(all[8]);
    expect(await rel.deadLetters.get('parts', 'not-an-id')).toBeUndefined();
    expect(await rel.deadLetters.purge('parts', { ids: [all[0]!.id] })).toBe(1);
    expect(await rel.deadLetters.purge('parts')).toBe(8);
  });

  it('an outage stops a replay after removing what was published; a refused destination skips', async () => {
    const { transport, rel } = setup({}, { topics: { tiny: { maxBacklog: 1 } } });
    await deadLetters(transport, rel, 'src', 3);
    await expect(rel.deadLetters.replay('src', 'all', { to: 'tiny' })).rejects.toMatchObject({ code: 'BACKPRESSURE' });
    expect(await rel.deadLetters.depth('src')).toBe(2);
    await transport.close();
    const r = await rel.deadLetters.replay('src', 'all');
    expect(r.replayed).toBe(0);
    expect(r.skipped.map((s) => s.error)).toEqual([expect.stringMatching(/closed/), expect.stringMatching(/closed/)]);
  });

  it('moveDue and delayed on demand, per group or for every group', async () => {
    const { transport, rel } = setup({ retry: { delaysMs: [1], jitter: 0 }, schedulerIntervalMs: 60_000 });
    const runs: number[] = [];
    await consume(rel, 'slow', 'g', (_env, ctx) => {
      runs.push(ctx.attempt);
      if (ctx.attempt === 1) throw new Error('again');
    }).ready();
    await transport.publish('slow', createEnvelope({ type: 'x', from: 'a', payload: 1 }));
    await vi.waitFor(async () => expect(await rel.delayed('slow', 'g')).toBe(1));
    expect(await rel.delayed('slow')).toBe(1);
    expect(await rel.delayed('slow', 'other')).toBe(0);
    await settle(5);
    expect(await rel.moveDue('slow', 'other')).toBe(0);
    expect(await rel.moveDue('slow')).toBe(1);
    await vi.waitFor(() => expect(runs).toEqual([1, 2]));
  });

  it('a retry the transport refuses to take back stays scheduled', async () => {
    const { transport, rel } = setup({ retry: { delaysMs: [1], jitter: 0 }, schedulerIntervalMs: 60_000 });
    await consume(rel, 'held', 'g', () => {
      throw new Error('again');
    }).ready();
    await transport.publish('held', createEnvelope({ type: 'x', from: 'a', payload: 1 }));
    await vi.waitFor(async () => expect(await rel.delayed('held', 'g')).toBe(1));
    await settle(5);
    await transport.close();
    await expect(rel.moveDue('held', 'g')).rejects.toMatchObject({ code: 'CLOSED' });
    expect(await rel.delayed('held', 'g')).toBe(1);
  });

  it('refuses bad options, naming the option', async () => {
    const transport = createMemoryTransport();
    open.push(transport);
    expect(() => createReliability(transport, { schedulerRecheckMs: 0 })).toThrow(/schedulerRecheckMs must be a number >= 1/);
    expect(() => createReliability(transport, { deadLetterMaxLen: -1 })).toThrow(/deadLetterMaxLen must be an integer >= 0/);
    expect(() => createReliability(transport, { maxDeliveries: 1.5 })).toThrow(/maxDeliveries/);
    const rel = createReliability(transport);
    open.push(rel);
    await expect(rel.deadLetters.replay('t', 'all', { pageSize: 0 })).rejects.toThrow(/pageSize must be an integer from 1 to 10000/);
    await expect(rel.deadLetters.replay('t', 'all', { to: 'bad topic' })).rejects.toThrow(/replay: option to: invalid topic/);
    await expect(rel.deadLetters.replay('t', { ids: ['x'] })).rejects.toThrow(/not a dead-letter id/);
    await expect(rel.deadLetters.replay('t', { count: 0 })).rejects.toThrow(/count must be a positive integer/);
    await expect(rel.deadLetters.list('t', { count: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await rel.close();
    expect(() => rel.consume('t', () => undefined, { group: 'g' })).toThrow(/closed/);
  });
});
