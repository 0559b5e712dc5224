import { describe, expect, it } from 'vitest';
import { Fifo } from './fifo';

describe('Fifo', () => {
  it('keeps order across compaction', () => {
    const q = new Fifo<number>();
    for (let i = 0; i < 5000; i++) q.push(i);
    for (let i = 0; i < 3000; i++) expect(q.shift()).toBe(i);
    q.push(5000);
    expect(q.length).toBe(2001);
    expect(q.clear()).toEqual(Array.from({ length: 2001 }, (_, i) => 3000 + i));
    expect(q.shift()).toBeUndefined();
    expect(q.length).toBe(0);
  });
});
