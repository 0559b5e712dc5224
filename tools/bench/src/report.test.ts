import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { boundedTarget, defaultResultPath, fmt, renderTargets, table, targetOf, workspaceRoot } from './report';
import { spreadOf } from './spread';
import { parseStreamsArgs } from './streams';

describe('report helpers', () => {
  it('finds the workspace root and the default result path', () => {
    expect(existsSync(path.join(workspaceRoot(), 'nx.json'))).toBe(true);
    expect(defaultResultPath('streams')).toBe(path.join(workspaceRoot(), 'bench', 'results', 'streams.json'));
  });

  it('fmt: separators, decimals, dash for nothing', () => {
    expect(fmt(12345.678)).toBe('12,346');
    expect(fmt(0.12345, 3)).toBe('0.123');
    expect(fmt(null)).toBe('-');
    expect(fmt(Number.NaN)).toBe('-');
  });

  it('table aligns columns', () => {
    const t = table(['name', 'n'], [['a', 1], ['bbb', 100]]).split('\n');
    expect(t).toEqual(['name    n', '----  ---', 'a       1', 'bbb   100']);
  });
});

describe('streams arguments', () => {
  it('defaults', () => {
    const c = parseStreamsArgs([]);
    if (c === 'help') throw new Error('unexpected help');
    expect(c.messages).toBe(50_000);
    // Every contender moves the same number of messages, BullMQ too.
    expect(c.bullmqMessages).toBe(50_000);
    expect(c.bullmqRuns).toBe(3);
    expect(c.only).toEqual(['ours', 'raw', 'bullmq']);
    expect(c.out).toBe(defaultResultPath('streams'));
  });

  it('flags', () => {
    const c = parseStreamsArgs(['--messages', '1000', '--only', 'raw,bullmq', '--out', 'x.json', '--seconds', '5']);
    if (c === 'help') throw new Error('unexpected help');
    expect(c.messages).toBe(1000);
    expect(c.bullmqMessages).toBe(1000);
    expect(c.only).toEqual(['raw', 'bullmq']);
    expect(c.out).toBe(path.resolve('x.json'));
    expect(c.seconds).toBe(5);
  });

  it('help and errors', () => {
    expect(parseStreamsArgs(['--help'])).toBe('help');
    expect(() => parseStreamsArgs(['--nope'])).toThrow(/Unknown option/);
    expect(() => parseStreamsArgs(['--messages', '-3'])).toThrow(/--messages/);
    expect(() => parseStreamsArgs(['extra'])).toThrow();
  });
});

describe('targets', () => {
  it('one value: pass or miss; nothing measured: n/a', () => {
    expect(targetOf(0.5, '< 1', (v) => v < 1)).toEqual({ target: '< 1', value: 0.5, pass: true, verdict: 'pass' });
    expect(targetOf(2, '< 1', (v) => v < 1)).toMatchObject({ pass: false, verdict: 'miss' });
    expect(targetOf(null, '< 1', (v) => v < 1)).toMatchObject({ value: null, pass: null, verdict: 'n/a' });
  });

  it('a spread: the median as value, the verdict on the IQR, pass null when inconclusive', () => {
    const t = targetOf(null, '>= 0.8', (v) => v >= 0.8, spreadOf([1.01, 0.59, 0.84, 0.91, 0.65]));
    expect(t).toMatchObject({ value: 0.84, pass: null, verdict: 'inconclusive', spread: { n: 5, q1: 0.65, q3: 0.91, min: 0.59, max: 1.01 } });
    expect(targetOf(null, '>= 0.8', (v) => v >= 0.8, spreadOf([0.9, 0.95, 1]))).toMatchObject({ pass: true, verdict: 'pass' });
  });

  it('two bounds: pass when the upper meets it, miss when the lower does not, inconclusive between', () => {
    const under5 = (v: number) => v < 5;
    expect(boundedTarget(3, 4, '< 5', under5)).toMatchObject({ value: 4, pass: true, verdict: 'pass', bounds: { lower: 3, upper: 4 } });
    expect(boundedTarget(3.47, 5.52, '< 5', under5)).toMatchObject({ value: 5.52, pass: null, verdict: 'inconclusive' });
    expect(boundedTarget(6, 7, '< 5', under5)).toMatchObject({ pass: false, verdict: 'miss' });
    expect(boundedTarget(null, 7, '< 5', under5)).toMatchObject({ pass: null, verdict: 'n/a' });
  });

  it('prints INCONCLUSIVE, MISS and the spread', () => {
    const text = renderTargets({
      a: targetOf(null, '>= 0.8', (v) => v >= 0.8, spreadOf([1.01, 0.59, 0.84, 0.91, 0.65])),
      b: targetOf(2, '< 1', (v) => v < 1),
      c: boundedTarget(3, 6, '< 5', (v) => v < 5),
    });
    expect(text).toMatch(/^a .*IQR 0\.65–0\.91, range 0\.59–1\.01, n=5 .*INCONCLUSIVE$/m);
    expect(text).toMatch(/^b .*MISS$/m);
    expect(text).toMatch(/^c .*between 3 and 6 .*INCONCLUSIVE$/m);
  });
});
