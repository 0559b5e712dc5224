import { describe, expect, it } from 'vitest';
import { isPermanent, PermanentError, resolveRetryPolicy, retryDelayMs } from './retry-policy';

describe('retry policy', () => {
  it('defaults to 5 s, 15 s, 60 s: four attempts in all', () => {
    const p = resolveRetryPolicy();
    expect(p).toEqual({ delaysMs: [5000, 15000, 60000], maxAttempts: 4, jitter: 0.1 });
    const mid = () => 0.5; // no jitter at the midpoint
    expect([1, 2, 3].map((r) => retryDelayMs(p, r, mid))).toEqual([5000, 15000, 60000]);
  });

  it('repeats the last delay when maxAttempts asks for more retries than delays', () => {
    const p = resolveRetryPolicy({ delaysMs: [10, 20], maxAttempts: 6, jitter: 0 });
    expect([1, 2, 3, 4, 5].map((r) => retryDelayMs(p, r))).toEqual([10, 20, 20, 20, 20]);
  });

  it('jitters each delay within the configured fraction', () => {
    const p = resolveRetryPolicy({ delaysMs: [1000], jitter: 0.2 });
    expect(retryDelayMs(p, 1, () => 0)).toBe(800);
    expect(retryDelayMs(p, 1, () => 0.999999)).toBe(1200);
  });

  it('refuses a policy that cannot work, naming the option', () => {
    expect(() => resolveRetryPolicy({ delaysMs: [], maxAttempts: 3 })).toThrow(/delaysMs/);
    expect(() => resolveRetryPolicy({ delaysMs: [-1] })).toThrow(/delaysMs/);
    expect(() => resolveRetryPolicy({ maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => resolveRetryPolicy({ jitter: 1 })).toThrow(/jitter/);
    expect(resolveRetryPolicy({ delaysMs: [], maxAttempts: 1 }).maxAttempts).toBe(1);
  });

  it('recognises permanent failures', () => {
    expect(isPermanent(new PermanentError('x'))).toBe(true);
    expect(isPermanent(Object.assign(new Error('x'), { permanent: true }))).toBe(true);
    expect(isPermanent(new Error('x'))).toBe(false);
    expect(isPermanent(null)).toBe(false);
  });
});
