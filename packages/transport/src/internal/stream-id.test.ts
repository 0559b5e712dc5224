import { describe, expect, it } from 'vitest';
import { compareStreamIds } from './stream-id';

describe('compareStreamIds', () => {
  it('orders stream ids by number, not by text', () => {
    expect(['10-0', '9-5', '9-10', '100-0'].sort(compareStreamIds)).toEqual(['9-5', '9-10', '10-0', '100-0']);
    expect(compareStreamIds('5-1', '5-1')).toBe(0);
    expect(compareStreamIds('7', '7-0')).toBe(0);
    expect(compareStreamIds('7', '7-1')).toBeLessThan(0);
  });
});
