import { describe, expect, it } from 'vitest';
import { compareStreamIds, presentLag } from './stream-id';

describe('compareStreamIds', () => {
  it('orders stream ids by number, not by text', () => {
    expect(['10-0', '9-5', '9-10', '100-0'].sort(compareStreamIds)).toEqual(['9-5', '9-10', '10-0', '100-0']);
    expect(compareStreamIds('5-1', '5-1')).toBe(0);
    expect(compareStreamIds('7', '7-0')).toBe(0);
    expect(compareStreamIds('7', '7-1')).toBeLessThan(0);
  });
});

describe('presentLag', () => {
  const s = { length: 500, firstId: '100-0', lastId: '600-0' };

  it('is 0 once the group read the last entry, whatever Redis counted for entries trimmed unread', () => {
    expect(presentLag(1_394, '600-0', s)).toBe(0);
    expect(presentLag(null, '700-0', s)).toBe(0);
    expect(presentLag(3, '0-0', { length: 0, firstId: null, lastId: null })).toBe(0);
  });

  it('is the length when the group read nothing still in the stream', () => {
    expect(presentLag(2_000, '0-0', s)).toBe(500);
    expect(presentLag(null, '99-9', s)).toBe(500);
  });

  it('otherwise is Redis lag, at most the length (unknown stays unknown)', () => {
    expect(presentLag(1_700, '300-0', s)).toBe(500);
    expect(presentLag(20, '300-0', s)).toBe(20);
    expect(presentLag(null, '300-0', s)).toBeNull();
  });
});
