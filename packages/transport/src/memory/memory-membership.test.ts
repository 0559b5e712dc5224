import { describe, expect, it } from 'vitest';
import { createMemoryMembership } from './memory-membership';
import { createMemoryStore } from './memory-store';

describe('createMemoryMembership', () => {
  it('lists the members that heartbeated within the ttl by the store clock, sorted, shared through the store', async () => {
    let t = 1_000;
    const store = createMemoryStore({ now: () => t });
    const a = createMemoryMembership({ store });
    const b = createMemoryMembership({ store });
    expect(await a.heartbeat('m', 'w2', 100)).toEqual(['w2']);
    t = 1_050;
    expect(await b.heartbeat('m', 'w1', 100)).toEqual(['w1', 'w2']);
    // w2 last beat at 1000: gone at 1100.
    t = 1_100;
    expect(await b.heartbeat('m', 'w1', 100)).toEqual(['w1']);
  });

  it('leave removes a member; after close, leave is a no-op and heartbeat rejects', async () => {
    const m = createMemoryMembership();
    await m.heartbeat('k', 'x', 1_000);
    await m.heartbeat('k', 'y', 1_000);
    await m.leave('k', 'x');
    await m.leave('missing', 'x');
    expect(await m.heartbeat('k', 'y', 1_000)).toEqual(['y']);
    await m.close();
    await m.leave('k', 'y');
    await expect(m.heartbeat('k', 'y', 1_000)).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(m.acquireLease('l', 'a', 10)).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('the set expires after ten ttls without a heartbeat', async () => {
    let t = 0;
    const m = createMemoryMembership({ now: () => t });
    await m.heartbeat('k', 'old', 10);
    t = 101;
    expect(await m.heartbeat('k', 'new', 1_000)).toEqual(['new']);
  });

  it('a lease is held by one token until released or expired', async () => {
    let t = 0;
    const m = createMemoryMembership({ now: () => t });
    expect(await m.acquireLease('l', 'a', 100)).toBe(true);
    expect(await m.acquireLease('l', 'b', 100)).toBe(false);
    expect(await m.acquireLease('l', 'a', 100)).toBe(true);
    await m.releaseLease('l', 'b');
    expect(await m.acquireLease('l', 'b', 100)).toBe(false);
    await m.releaseLease('l', 'a');
    expect(await m.acquireLease('l', 'b', 100)).toBe(true);
    t = 101;
    expect(await m.acquireLease('l', 'a', 100)).toBe(true);
  });
});
