import { describe, expect, it } from 'vitest';
import { intFlag, intListFlag, listFlag, numberFlag, parseFlags, UsageError } from './args';

describe('flag parsing', () => {
  it('intFlag: default, underscores, bounds', () => {
    expect(intFlag('n', undefined, 7)).toBe(7);
    expect(intFlag('n', '50_000', 7)).toBe(50_000);
    expect(intFlag('n', '0', 7, 0)).toBe(0);
    expect(() => intFlag('n', '0', 7)).toThrow(UsageError);
    expect(() => intFlag('n', '1.5', 7)).toThrow(/whole number/);
    expect(() => intFlag('n', 'x', 7)).toThrow(UsageError);
  });

  it('numberFlag takes positive numbers only', () => {
    expect(numberFlag('s', undefined, 2)).toBe(2);
    expect(numberFlag('s', '0.5', 2)).toBe(0.5);
    expect(() => numberFlag('s', '-1', 2)).toThrow(UsageError);
  });

  it('listFlag keeps the given order, dedupes, rejects unknown names', () => {
    const all = ['ours', 'raw', 'bullmq'] as const;
    expect(listFlag('only', undefined, all)).toEqual(['ours', 'raw', 'bullmq']);
    expect(listFlag('only', 'raw, bullmq,raw', all)).toEqual(['raw', 'bullmq']);
    expect(() => listFlag('only', 'raw,kafka', all)).toThrow(/ours, raw, bullmq/);
    expect(() => listFlag('only', ',', all)).toThrow(UsageError);
  });

  it('intListFlag parses comma-separated whole numbers', () => {
    expect(intListFlag('c', undefined, [1, 2])).toEqual([1, 2]);
    expect(intListFlag('c', '10,50', [1])).toEqual([10, 50]);
    expect(() => intListFlag('c', '10,x', [1])).toThrow(UsageError);
    expect(() => intListFlag('c', '', [1])).toThrow(UsageError);
  });
});

describe('parseFlags', () => {
  it('reads the named flags, answers help, and refuses unknown flags and positionals', () => {
    const get = parseFlags(['--rate', '10'], ['rate', 'out']);
    if (get === 'help') throw new Error('unexpected help');
    expect(get('rate')).toBe('10');
    expect(get('out')).toBeUndefined();
    expect(parseFlags(['-h'], ['rate'])).toBe('help');
    expect(() => parseFlags(['--nope', '1'], ['rate'])).toThrow(UsageError);
    expect(() => parseFlags(['stray'], ['rate'])).toThrow(UsageError);
  });
});
