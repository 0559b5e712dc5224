import { describe, expect, it } from 'vitest';
import { compareIds } from './stream-id';

describe('compareIds', () => {
  it('orders stream ids by number, not by text', () => {
    expect(['10-0', '9-5', '9-10', '100-0'].sort(compareIds)).toEqual(['9-5', '9-10', '10-0', '100-0']);
    expect(compareIds('5-1', '5-1')).toBe(0);
  });
});
