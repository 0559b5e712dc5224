import { describe, expect, it } from 'vitest';
import { UUID_V7_RE, uuidv7, uuidv7Time } from './uuid';

describe('uuidv7', () => {
  it('is a valid v7 UUID carrying its timestamp', () => {
    const now = Date.UTC(2026, 10, 23, 10, 0, 0);
    const id = uuidv7(now);
    expect(id).toMatch(UUID_V7_RE);
    expect(uuidv7Time(id)).toBe(now);
  });

  it('sorts in creation order, also many ids inside one millisecond', () => {
    const now = Date.now() + 10_000;
    const ids = Array.from({ length: 10_000 }, () => uuidv7(now));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(UUID_V7_RE);
  });

  it('stays monotonic when the clock steps back', () => {
    const a = uuidv7(Date.now() + 60_000);
    const b = uuidv7(Date.now() - 60_000);
    expect(b > a).toBe(true);
  });
});
