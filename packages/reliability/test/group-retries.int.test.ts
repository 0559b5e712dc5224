import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { createEnvelope } from '@agentbus/schema';
import { createRedisTransport, type DeliveryContext, type Transport } from '@agentbus/transport';
import { uniquePrefix } from '@agentbus/test-utils';
import { createReliability, PermanentError, type Reliability } from '../src/index';

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

function setup(): { transport: Transport; rel: Reliability } {
  const transport = createRedisTransport({ url: inject('redisUrl'), namespace: uniquePrefix('groups') });
  const rel = createReliability(transport, { retry: { delaysMs: [50, 50], jitter: 0 }, schedulerIntervalMs: 20 });
  open.push(transport, rel);
  return { transport, rel };
}

const settle = (ms = 400) => new Promise((r) => setTimeout(r, ms));
const tally = (t: Record<string, number>) =>
  console.log(`tally: ${Object.entries(t).map(([k, v]) => `${k} ${v}`).join(', ')}`);

describe('retries and replays stay in their group (redis)', () => {
  it('3 groups on one topic, one failing twice per message: the others get each message exactly once, the failing one sees attempts 1, 2, 3', async () => {
    const { transport, rel } = setup();
    const seen: Record<string, Array<[string, number]>> = { billing: [], audit: [], search: [] };
    for (const group of Object.keys(seen)) {
      const c = rel.consume('orders', (env, ctx) => {
        seen[group]!.push([env.id, ctx.attempt]);
        if (group === 'billing' && ctx.attempt < 3) throw new Error(`not yet ${ctx.attempt}`);
      }, { group, blockMs: 50 });
      open.push(c);
      await c.ready();
    }
    const n = 20;
    const envs = Array.from({ length: n }, (_, i) => createEnvelope({ type: 'order', from: 'shop', payload: i }));
    await transport.publishBatch('orders', envs);
    await vi.waitFor(() => expect(seen.billing!.filter(([, a]) => a === 3)).toHaveLength(n), { timeout: 10_000, interval: 50 });
    await settle();

    const ids = envs.map((e) => e.id).sort();
    for (const group of ['audit', 'search']) {
      expect(seen[group]!.map(([id]) => id).sort()).toEqual(ids);
      expect(seen[group]!.every(([, attempt]) => attempt === 1)).toBe(true);
    }
    for (const id of ids) expect(seen.billing!.filter(([x]) => x === id).map(([, a]) => a)).toEqual([1, 2, 3]);
    expect(seen.billing).toHaveLength(3 * n);
    expect(await rel.delayed('orders')).toBe(0);
    expect(await rel.delayed('orders', 'billing')).toBe(0);
    expect(await rel.deadLetters.depth('orders')).toBe(0);
    tally({ published: n, billing: seen.billing!.length, audit: seen.audit!.length, search: seen.search!.length });
  });

  it('a replayed dead letter goes back to the group it died in only; with allGroups to every group', async () => {
    const { transport, rel } = setup();
    let fixed = false;
    const billing: Array<[unknown, DeliveryContext['headers']]> = [];
    const audit: unknown[] = [];
    const b = rel.consume('orders', (env, ctx) => {
      if (!fixed) throw new PermanentError('billing is down');
      billing.push([env.payload, ctx.headers]);
    }, { group: 'billing', blockMs: 50 });
    const a = rel.consume('orders', (env) => void audit.push(env.payload), { group: 'audit', blockMs: 50 });
    open.push(b, a);
    await Promise.all([b.ready(), a.ready()]);

    await transport.publishBatch('orders', [1, 2, 3].map((n) => createEnvelope({ type: 'order', from: 'shop', payload: n })));
    await vi.waitFor(async () => expect(await rel.deadLetters.depth('orders')).toBe(3), { timeout: 5000 });
    await vi.waitFor(() => expect(audit).toHaveLength(3));
    const dead = await rel.deadLetters.list('orders');
    expect(dead.map((d) => d.group)).toEqual(['billing', 'billing', 'billing']);

    fixed = true;
    expect(await rel.deadLetters.replay('orders', 'all')).toEqual({ replayed: 3, skipped: [] });
    await vi.waitFor(() => expect(billing).toHaveLength(3), { timeout: 5000 });
    await settle();
    expect(audit).toHaveLength(3);
    const byPayload = [...billing].sort(([x], [y]) => Number(x) - Number(y));
    expect(byPayload.map(([p, h]) => [p, h?.attempt, h?.replayedFrom])).toEqual(dead.map((d, i) => [i + 1, 1, d.id]));

    fixed = false;
    await transport.publish('orders', createEnvelope({ type: 'order', from: 'shop', payload: 4 }));
    await vi.waitFor(async () => expect(await rel.deadLetters.depth('orders')).toBe(1), { timeout: 5000 });
    await vi.waitFor(() => expect(audit).toHaveLength(4));
    fixed = true;
    expect(await rel.deadLetters.replay('orders', 'all', { allGroups: true })).toEqual({ replayed: 1, skipped: [] });
    await vi.waitFor(() => expect([...audit].sort()).toEqual([1, 2, 3, 4, 4]), { timeout: 5000 });
    await vi.waitFor(() => expect(billing.map(([p]) => p).sort()).toEqual([1, 2, 3, 4]));
    tally({ published: 4, 'replayed to billing': 3, 'replayed to all groups': 1, 'audit deliveries': audit.length });
  });
});
