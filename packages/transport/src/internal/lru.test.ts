import { describe, expect, it } from 'vitest';
import { Lru } from './lru';

describe('Lru', () => {
  it('keeps at most its capacity, forgetting the least recently used first', () => {
    const lru = new Lru<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.get('a')).toBe(1); // a is now the most recent
    lru.set('c', 3);
    expect(lru.has('b')).toBe(false);
    expect(lru.entries()).toEqual([
      ['a', 1],
      ['c', 3],
    ]);
    expect(lru.size).toBe(2);
  });

  it('peek does not change the order; set of a known key refreshes it', () => {
    const lru = new Lru<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.peek('a')).toBe(1);
    lru.set('c', 3);
    expect(lru.has('a')).toBe(false);
    lru.set('b', 20);
    lru.set('d', 4);
    expect(lru.entries()).toEqual([
      ['b', 20],
      ['d', 4],
    ]);
  });

  it('deletes, clears, and answers undefined for a missing key', () => {
    const lru = new Lru<string, number>(3);
    lru.set('a', 1);
    expect(lru.get('x')).toBeUndefined();
    expect(lru.delete('a')).toBe(true);
    expect(lru.delete('a')).toBe(false);
    lru.set('b', 2);
    lru.clear();
    expect(lru.size).toBe(0);
  });

  it('refuses a capacity below 1', () => {
    expect(() => new Lru(0)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => new Lru(1.5)).toThrow(/integer >= 1/);
  });
});
