import { expect, it } from 'vitest';
import { createBackoff } from './backoff';

it('doubles from min to max, jitters downwards, resets', () => {
  const b = createBackoff(100, 1000, () => 0);
  expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 400, 800, 1000]);
  expect(b.failures).toBe(5);
  b.reset();
  expect(b.failures).toBe(0);
  expect(createBackoff(100, 1000, () => 1).next()).toBe(80);
});
