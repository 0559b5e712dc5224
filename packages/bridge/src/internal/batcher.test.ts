import { describe, expect, it } from 'vitest';
import { createBatcher } from './batcher';

describe('createBatcher', () => {
  it('runs a batch when full or after the wait, one batch at a time, in arrival order', async () => {
    const seen: number[][] = [];
    let running = 0;
    let overlap = false;
    const b = createBatcher<number, string>(3, 10, async (items) => {
      overlap ||= running > 0;
      running++;
      seen.push(items);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return items.map((i) => `r${i}`);
    });
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => b.add(i)));
    expect(results).toEqual(['r1', 'r2', 'r3', 'r4', 'r5']);
    expect(seen).toEqual([[1, 2, 3], [4, 5]]);
    expect(overlap).toBe(false);
    expect(b.waiting()).toBe(0);
  });

  it('fails every item of a batch that throws or returns the wrong count', async () => {
    const boom = createBatcher<number, boolean>(2, 5, () => Promise.reject(new Error('boom')));
    await expect(Promise.all([boom.add(1), boom.add(2)])).rejects.toThrow('boom');
    const shorter = createBatcher<number, boolean>(2, 5, async () => []);
    await expect(shorter.add(1)).rejects.toThrow(/returned 0 results for 1 messages/);
  });
});
