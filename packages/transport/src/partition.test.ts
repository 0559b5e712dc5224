import { describe, expect, it } from 'vitest';
import { assignPartitions, partitionFor } from './partition';

describe('partitionFor', () => {
  it('maps one key always to one partition, within range', () => {
    for (const key of ['a', 'order-17', 'ü', '']) {
      const p = partitionFor(key, 8);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(8);
      expect(partitionFor(key, 8)).toBe(p);
    }
    expect(partitionFor('anything', 1)).toBe(0);
  });

  it('spreads keys over the partitions', () => {
    const counts = new Array(4).fill(0);
    for (let i = 0; i < 4000; i++) counts[partitionFor(`key-${i}`, 4)]++;
    for (const c of counts) expect(c).toBeGreaterThan(800);
  });
});

describe('assignPartitions', () => {
  it('gives every partition to exactly one member', () => {
    const owned = [0, 1, 2].flatMap((i) => assignPartitions(8, 3, i));
    expect(owned.sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(assignPartitions(4, 1, 0)).toEqual([0, 1, 2, 3]);
    expect(assignPartitions(2, 3, 2)).toEqual([]);
    expect(assignPartitions(4, 2, -1)).toEqual([]);
  });
});
