import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canonicalJson } from './canonical-json';

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[1,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('writes numbers in shortest form and -0 as 0', () => {
    expect(canonicalJson([1e21, 0.1, -0, 5])).toBe('[1e+21,0.1,0,5]');
  });

  it('refuses values that are not JSON', () => {
    expect(() => canonicalJson({ a: NaN })).toThrow(/not valid JSON/);
    expect(() => canonicalJson(() => 1)).toThrow(/function is not valid JSON/);
    expect(() => canonicalJson(10n)).toThrow(/bigint/);
  });

  it('refuses absurd nesting instead of overflowing the stack', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 300; i++) deep = [deep];
    expect(() => canonicalJson(deep)).toThrow(/deeper than/);
  });

  it('uses toJSON like JSON.stringify does', () => {
    expect(canonicalJson({ t: new Date(0) })).toBe('{"t":"1970-01-01T00:00:00.000Z"}');
  });

  it('is the same text for equal values whatever the key order (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        // Parses back to an equal value...
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
        // ...and is stable under re-canonicalisation and key reordering.
        const shuffled = JSON.parse(JSON.stringify(value), (_k, v: unknown) =>
          v && typeof v === 'object' && !Array.isArray(v)
            ? Object.fromEntries(Object.entries(v as Record<string, unknown>).reverse())
            : v,
        ) as unknown;
        expect(canonicalJson(shuffled)).toBe(text);
      }),
    );
  });
});
