import { describe, expect, it } from 'vitest';
import { createLatencyTracker } from './latency';

describe('createLatencyTracker', () => {
  it('pairs commit and XADD times in either order, clamps a negative to 0, resets on take', () => {
    const t = createLatencyTracker();
    t.committed('a', 100);
    t.relayed('a', 102.5, false);
    t.relayed('b', 99, true); // reported before its commit
    expect(t.pending()).toBe(0);
    t.committed('b', 100);
    t.committed('c', 200);
    expect(t.pending()).toBe(1);
    expect(t.take()).toEqual({ latencies: [2.5, 0], publishedAt: [102.5, 99], relayed: 2, duplicates: 1, clamped: 1, lastPublishedAt: 102.5 });
    expect(t.take()).toMatchObject({ latencies: [], relayed: 0 });
    t.relayed('c', 201, false);
    expect(t.take().latencies).toEqual([1]);
  });
});

describe('drainRate', () => {
  it('counts what the relay published after the writers stopped', async () => {
    const { drainRate } = await import('../bridge');
    expect(drainRate([1000, 1500, 2000, 3000], 1000, 3000)).toBe(1.5);
    expect(drainRate([1000], 1000, 1100)).toBeNull();
  });
});
