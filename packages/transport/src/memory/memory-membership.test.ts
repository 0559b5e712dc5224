import { describe, expect, it } from 'vitest';
import { createMemoryMembership } from './memory-membership';
import { createMemoryStore } from './memory-store';

describe('createMemoryMembership', () => {
  it('lists the members that heartbeated within the ttl, sorted, shared through the store', async () => {
    const store = createMemoryStore();
    const a = createMemoryMembership({ store });
    const b = createMemoryMembership({ store });
    expect(await a.heartbeat('m', 'w2', 1_000, 100)).toEqual(['w2']);
    expect(await b.heartbeat('m', 'w1', 1_050, 100)).toEqual(['w1', 'w2']);
    // w2 last beat at 1000: gone at 1100.
    expect(await b.heartbeat('m', 'w1', 1_100, 100)).toEqual(['w1']);
  });

  it('leave removes a member; after close, leave is a no-op and heartbeat rejects', async () => {
    const m = createMemoryMembership();
    await m.heartbeat('k', 'x', 0, 1_000);
    await m.heartbeat('k', 'y', 0, 1_000);
    await m.leave('k', 'x');
    await m.leave('missing', 'x');
    expect(await m.heartbeat('k', 'y', 1, 1_000)).toEqual(['y']);
    await m.close();
    await m.leave('k', 'y');
    await expect(m.heartbeat('k', 'y', 2, 1_000)).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('the set expires after ten ttls without a heartbeat', async () => {
    let t = 0;
    const m = createMemoryMembership({ now: () => t });
    await m.heartbeat('k', 'old', 0, 10);
    t = 101;
    expect(await m.heartbeat('k', 'new', 0, 1_000)).toEqual(['new']);
  });
});
