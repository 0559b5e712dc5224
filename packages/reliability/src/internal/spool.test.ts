import { describe, expect, it } from 'vitest';
import { createSpool } from './spool';

describe('spool', () => {
  it('is a FIFO bounded by total weight', () => {
    const s = createSpool<{ id: string; w: number }>({ maxEntries: 5, weight: (x) => x.w });
    expect(s.push({ id: 'a', w: 1 })).toBe(true);
    expect(s.push({ id: 'b', w: 3 })).toBe(true);
    expect(s.fits(1)).toBe(true);
    expect(s.fits(2)).toBe(false);
    expect(s.push({ id: 'c', w: 2 })).toBe(false);
    expect(s.push({ id: 'd', w: 1 })).toBe(true);
    expect(s.size()).toBe(5);
    expect(s.length()).toBe(3);
    expect(s.take()?.id).toBe('a');
    s.done();
    expect(s.take()?.id).toBe('b');
    s.done();
    expect(s.take()?.id).toBe('d');
    s.done();
    expect(s.size()).toBe(0);
    expect(s.take()).toBeUndefined();
  });

  it('a failed send goes back to the front, keeping order, and its room was never given away', () => {
    const s = createSpool<number>({ maxEntries: 3 });
    s.push(1);
    s.push(2);
    s.push(3);
    expect(s.take()).toBe(1);
    expect(s.inFlight()).toBe(1);
    expect(s.size()).toBe(3);
    expect(s.push(4)).toBe(false);
    expect(s.take()).toBeUndefined(); // one in flight at a time
    s.putBack();
    expect(s.inFlight()).toBeUndefined();
    expect(s.size()).toBe(3);
    const order: number[] = [];
    for (let x = s.take(); x !== undefined; x = s.take()) {
      order.push(x);
      s.done();
    }
    expect(order).toEqual([1, 2, 3]);
  });

  it('putBack at the very front (nothing shifted yet) still keeps order', () => {
    const s = createSpool<number>({ maxEntries: 10 });
    s.push(1);
    s.take();
    s.push(2);
    s.putBack();
    expect([s.take(), (s.done(), s.take())]).toEqual([1, 2]);
  });

  it('shiftWhile and clear leave the in-flight entry alone', () => {
    const s = createSpool<number>({ maxEntries: 10 });
    for (const n of [1, 2, 3, 4, 5]) s.push(n);
    s.take();
    expect(s.shiftWhile((n) => n < 4)).toEqual([2, 3]);
    expect(s.size()).toBe(3);
    expect(s.peek()).toBe(4);
    expect(s.clear()).toEqual([4, 5]);
    expect(s.size()).toBe(1);
    expect(s.inFlight()).toBe(1);
    s.done();
    expect(s.size()).toBe(0);
    s.done(); // nothing in flight: no-op
    s.putBack();
    expect(s.size()).toBe(0);
  });

  it('keeps order through many entries (compaction)', () => {
    const s = createSpool<number>({ maxEntries: 100_000 });
    for (let n = 0; n < 10_000; n++) s.push(n);
    const out: number[] = [];
    for (let n = 0; n < 6_000; n++) {
      out.push(s.take()!);
      s.done();
    }
    for (let n = 10_000; n < 12_000; n++) s.push(n);
    for (let x = s.take(); x !== undefined; x = s.take()) {
      out.push(x);
      s.done();
    }
    expect(out).toEqual(Array.from({ length: 12_000 }, (_, i) => i));
  });
});
