import { describe, expect, it } from 'vitest';
import { createLatencyTracker } from './latency';

describe('createLatencyTracker', () => {
  it('bounds each event from COMMIT ack (lower) and COMMIT sent (upper), in either order, resets on take', () => {
    const t = createLatencyTracker();
    t.committed('a', { sentAt: 99, ackAt: 100 });
    t.relayed('a', 102.5, false);
    t.relayed('b', 99, true); // the relay reported it before the writer saw its ack
    expect(t.pending()).toBe(0);
    t.committed('b', { sentAt: 98, ackAt: 100 });
    t.committed('c', { sentAt: 199, ackAt: 200 });
    expect(t.pending()).toBe(1);
    const taken = t.take();
    expect(taken).toMatchObject({ fromAck: [2.5, -1], fromSent: [3.5, 1], publishedAt: [102.5, 99], relayed: 2, duplicates: 1, lastPublishedAt: 102.5 });
    expect(taken).toMatchObject({ negativeFromAck: 1, negativeFromSent: 0 });
    expect(t.take()).toMatchObject({ fromAck: [], relayed: 0, negativeFromAck: 0 });
    t.relayed('c', 201, false);
    expect(t.take()).toMatchObject({ fromAck: [1], fromSent: [2] });
  });

  it('keeps negatives as they are: nothing is clamped', () => {
    const t = createLatencyTracker();
    t.relayed('x', 10, false);
    t.committed('x', { sentAt: 11, ackAt: 12 });
    expect(t.take()).toMatchObject({ fromAck: [-2], fromSent: [-1], negativeFromAck: 1, negativeFromSent: 1 });
  });
});

describe('drainRate', () => {
  it('counts what the relay published after the writers stopped', async () => {
    const { drainRate } = await import('../bridge');
    expect(drainRate([1000, 1500, 2000, 3000], 1000, 3000)).toBe(1.5);
    expect(drainRate([1000], 1000, 1100)).toBeNull();
  });
});
