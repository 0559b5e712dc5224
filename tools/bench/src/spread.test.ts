import { describe, expect, it } from 'vitest';
import { aheadOf, formatSpread, oneMinus, quantile, roundSpread, spreadOf, verdictOf } from './spread';

describe('spreadOf', () => {
  it('gives median, quartiles (linear interpolation) and range, whatever the order', () => {
    expect(spreadOf([5, 1, 3, 2, 4])).toEqual({ n: 5, median: 3, min: 1, q1: 2, q3: 4, max: 5 });
    expect(spreadOf([1, 2, 3, 4])).toEqual({ n: 4, median: 2.5, min: 1, q1: 1.75, q3: 3.25, max: 4 });
    expect(spreadOf([7])).toEqual({ n: 1, median: 7, min: 7, q1: 7, q3: 7, max: 7 });
    expect(spreadOf([])).toBeNull();
    expect(spreadOf([Number.NaN, 2])).toMatchObject({ n: 1, median: 2 });
    expect(quantile([], 0.5)).toBeNaN();
  });

  it('turns ratio spreads into overhead spreads, the ends swapped', () => {
    expect(oneMinus({ n: 3, median: 0.9, min: 0.8, q1: 0.85, q3: 0.95, max: 1.1 })).toEqual({ n: 3, median: 1 - 0.9, min: 1 - 1.1, q1: 1 - 0.95, q3: 1 - 0.85, max: 1 - 0.8 });
  });

  it('rounds and formats', () => {
    expect(roundSpread({ n: 2, median: 1.23456, min: 1, q1: 1.1, q3: 1.3, max: 1.4 }, 2)).toEqual({ n: 2, median: 1.23, min: 1, q1: 1.1, q3: 1.3, max: 1.4 });
    expect(roundSpread(null)).toBeNull();
    expect(formatSpread(spreadOf([1, 2, 3]))).toBe('2.00 [IQR 1.50–2.50, range 1.00–3.00, n=3]');
    expect(formatSpread(null)).toBe('-');
  });
});

describe('verdictOf', () => {
  const atLeast08 = (v: number) => v >= 0.8;

  it('is inconclusive when the target lies inside the IQR: the per-round ratios of the issue', () => {
    const s = spreadOf([1.01, 0.59, 0.84, 0.91, 0.65])!;
    expect(s.median).toBeCloseTo(0.84);
    expect([s.q1, s.q3]).toEqual([0.65, 0.91]);
    expect(verdictOf(s, atLeast08)).toBe('inconclusive');
  });

  it('passes when the whole IQR meets the target, misses when none of it does', () => {
    expect(verdictOf(spreadOf([0.85, 0.9, 0.95, 1, 0.5])!, atLeast08)).toBe('pass'); // one outlier round of five: still a pass
    expect(verdictOf(spreadOf([0.6, 0.7, 0.75, 0.9])!, atLeast08)).toBe('miss');
    expect(verdictOf(spreadOf([0.9])!, atLeast08)).toBe('pass');
  });

  it('says who is ahead on a ratio ours / baseline by its IQR', () => {
    expect(aheadOf(spreadOf([1.1, 1.2, 1.3])!)).toBe('ours');
    expect(aheadOf(spreadOf([0.7, 0.8, 0.9])!)).toBe('baseline');
    expect(aheadOf(spreadOf([0.9, 1.0, 1.1])!)).toBe('even');
  });
});
