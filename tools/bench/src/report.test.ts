import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { defaultResultPath, fmt, table, workspaceRoot } from './report';
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
    expect(c.bullmqMessages).toBe(20_000);
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
