import { describe, expect, it } from 'vitest';
import { combineHooks } from './combine-hooks';

interface Hooks {
  onA?(n: number): void;
  onB?(s: string): void;
}

describe('combineHooks', () => {
  it('calls every hook of every object in order; one alone is passed through as it is', () => {
    const calls: string[] = [];
    const onlyB = (s: string) => void calls.push(`b:${s}`);
    const h = combineHooks<Hooks>({ onA: (n) => void calls.push(`1a:${n}`) }, undefined, { onA: (n) => void calls.push(`2a:${n}`), onB: onlyB });
    h.onA!(1);
    h.onB!('x');
    expect(calls).toEqual(['1a:1', '2a:1', 'b:x']);
    expect(h.onB).toBe(onlyB);
  });

  it('runs every hook when one throws, then rethrows the first error; skips what is not a function', () => {
    const calls: number[] = [];
    const h = combineHooks<Hooks>(
      {
        onA: () => {
          throw new Error('first');
        },
      },
      {
        onA: () => {
          throw new Error('second');
        },
      },
      { onA: (n) => void calls.push(n) },
      { onB: undefined },
    );
    expect(() => h.onA!(5)).toThrow('first');
    expect(calls).toEqual([5]);
    expect('onB' in h).toBe(false);
  });
});
