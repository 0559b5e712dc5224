import { describe, expect, it } from 'vitest';
import { splitBudget } from './unfenced-lane-reader';

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe('splitBudget', () => {
  it('gives each quiet lane one entry to probe and the busy lanes the rest by weight, never more than the budget', () => {
    expect(splitBudget(100, [8, 4, 2, 1], [false, false, true, false])).toEqual([1, 1, 97, 1]);
    expect(splitBudget(122, [8, 4, 2, 1], [true, true, false, false])).toEqual([80, 40, 1, 1]);
    for (const budget of [5, 7, 13, 64, 1100]) {
      expect(sum(splitBudget(budget, [8, 4, 2, 1, 8], [true, false, true, true, false]))).toBeLessThanOrEqual(budget);
    }
  });

  it('treats every lane as busy when none was', () => {
    expect(splitBudget(15, [8, 4, 2, 1], [false, false, false, false])).toEqual([8, 4, 2, 1]);
  });

  it('a budget smaller than the lanes gives one entry to as many lanes as it can, in turn', () => {
    expect(splitBudget(2, [8, 4, 2, 1], [true, true, true, true], 0)).toEqual([1, 1, 0, 0]);
    expect(splitBudget(2, [8, 4, 2, 1], [true, true, true, true], 3)).toEqual([1, 0, 0, 1]);
  });
});
