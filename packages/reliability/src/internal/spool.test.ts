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
    for (const id of ['a', 'b', 'd']) {
      const x = s.take()!;
      expect(x.id).toBe(id);
      s.done(x);
    }
    expect(s.size()).toBe(0);
    expect(s.take()).toBeUndefined();
  });

  it('a failed send goes back to the front, keeping order, and its room was never given away', () => {
    const s = createSpool<number>({ maxEntries: 3 });
    s.push(1);
    s.push(2);
    s.push(3);
    expect(s.take()).toBe(1);
    expect(s.inFlight()).toEqual([1]);
    expect(s.size()).toBe(3);
    expect(s.push(4)).toBe(false);
    s.putBack([1]);
    expect(s.inFlight()).toEqual([]);
    expect(s.size()).toBe(3);
    const order: number[] = [];
    for (let x = s.take(); x !== undefined; x = s.take()) {
      order.push(x);
      s.done(x);
    }
    expect(order).toEqual([1, 2, 3]);
  });

  it('several in flight: the failed ones go back to the front in their order, the sent ones leave', () => {
    const s = createSpool<number>({ maxEntries: 10 });
    for (const n of [1, 2, 3, 4, 5]) s.push(n);
    const batch = [s.take()!, s.take()!, s.take()!];
    expect(batch).toEqual([1, 2, 3]);
    expect(s.length()).toBe(5);
    s.done(2);
    s.putBack([1, 3]);
    expect(s.size()).toBe(4);
    const order: number[] = [];
    for (let x = s.take(); x !== undefined; x = s.take()) {
      order.push(x);
      s.done(x);
    }
    expect(order).toEqual([1, 3, 4, 5]);
  });

  it('putBack at the very front (nothing shifted yet) still keeps order', () => {
    const s = createSpool<number>({ maxEntries: 10 });
    s.push(1);
    s.take();
    s.push(2);
    s.push(3);
    s.take();
    s.putBack([1, 2]);
    expect([s.take(), s.take(), s.take()]).toEqual([1, 2, 3]);
  });

  it('shiftWhile and clear leave the entries in flight alone', () => {
    const s = createSpool<number>({ maxEntries: 10 });
    for (const n of [1, 2, 3, 4, 5]) s.push(n);
    s.take();
    expect(s.shiftWhile((n) => n < 4)).toEqual([2, 3]);
    expect(s.size()).toBe(3);
    expect(s.peek()).toBe(4);
    expect(s.clear()).toEqual([4, 5]);
    expect(s.size()).toBe(1);
    expect(s.inFlight()).toEqual([1]);
    s.done(1);
    expect(s.size()).toBe(0);
    s.done(1); // no longer in flight: no-op
    s.putBack([1]);
    expect(s.size()).toBe(0);
  });

  it('keeps order through many entries (compaction), also with entries put back after it', () => {
    const s = createSpool<number>({ maxEntries: 100_000 });
    for (let n = 0; n < 10_000; n++) s.push(n);
    const out: number[] = [];
    for (let n = 0; n < 6_000; n++) {
      const x = s.take()!;
      out.push(x);
      s.done(x);
    }
    for (let n = 10_000; n < 12_000; n++) s.push(n);
    for (let x = s.take(); x !== undefined; x = s.take()) {
      if (x % 1_000 === 999 && !out.includes(-x)) {
        // Fails once: back to the front, then sent.
        out.push(-x);
        s.putBack([x]);
        continue;
      }
      out.push(x);
      s.done(x);
    }
    expect(out.filter((x) => x >= 0)).toEqual(Array.from({ length: 12_000 }, (_, i) => i));
  });
});
