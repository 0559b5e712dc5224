import { describe, expect, it } from 'vitest';
import { contenderOrder, OVERHEADS, pairedContenders, parseStreamsArgs, RATIOS } from './streams';

const parse = (argv: string[]) => {
  const c = parseStreamsArgs(argv);
  if (c === 'help') throw new Error('unexpected help');
  return c;
};

describe('streams contenders', () => {
  it('by default runs ours-nolease, ours+metrics, ours+reliability and ours+dedupe beside ours, right after it', () => {
    const c = parse([]);
    expect(c.variants).toEqual(['ours-nolease', 'ours+metrics', 'ours+reliability', 'ours+dedupe']);
    expect(contenderOrder(c)).toEqual(['ours', 'ours-nolease', 'ours+metrics', 'ours+reliability', 'ours+dedupe', 'raw', 'bullmq']);
    expect(contenderOrder(parse(['--only', 'raw,ours-nolease,ours']))).toEqual(['raw', 'ours-nolease', 'ours']);
  });

  it('lease_overhead is ours against ours-nolease; metrics and reliability against ours', () => {
    expect(OVERHEADS).toContainEqual({ key: 'lease_overhead', base: 'ours-nolease', variant: 'ours' });
    expect(OVERHEADS).toContainEqual({ key: 'metrics_overhead', base: 'ours', variant: 'ours+metrics' });
    expect(OVERHEADS).toContainEqual({ key: 'reliability_overhead', base: 'ours', variant: 'ours+reliability' });
    expect(OVERHEADS).toContainEqual({ key: 'dedupe_overhead', base: 'ours', variant: 'ours+dedupe' });
  });

  it('ratio_vs_raw and ratio_vs_bullmq are ours against each baseline, paired by round', () => {
    expect(RATIOS).toEqual([
      { key: 'ratio_vs_raw', base: 'raw', variant: 'ours', atLeast: 0.8 },
      { key: 'ratio_vs_bullmq', base: 'bullmq', variant: 'ours', atLeast: 5 },
    ]);
  });

  it('pairs only the contenders of an overhead or a ratio whose other side runs too', () => {
    expect(pairedContenders(contenderOrder(parse([])))).toEqual(new Set(['ours', 'ours-nolease', 'ours+metrics', 'ours+reliability', 'ours+dedupe', 'raw', 'bullmq']));
    expect(pairedContenders(['ours', 'raw', 'bullmq'])).toEqual(new Set(['ours', 'raw', 'bullmq']));
    expect(pairedContenders(['raw', 'bullmq'])).toEqual(new Set());
    expect(pairedContenders(['ours-nolease', 'raw'])).toEqual(new Set());
    expect(pairedContenders(['ours', 'ours-nolease', 'raw'])).toEqual(new Set(['ours', 'ours-nolease', 'raw']));
  });

  it('gives BullMQ the same message count as the others unless told otherwise', () => {
    expect(parse(['--messages', '30000'])).toMatchObject({ messages: 30_000, bullmqMessages: 30_000 });
    expect(parse(['--bullmq-messages', '20000'])).toMatchObject({ messages: 50_000, bullmqMessages: 20_000 });
    expect(parse(['--bullmq-runs', '5']).bullmqRuns).toBe(5);
  });

  it('accepts --runs below 3 (the overhead contenders are raised to 3 when run) and ours-nolease in --only', () => {
    expect(parse(['--runs', '1']).runs).toBe(1);
    expect(parse(['--only', 'ours,ours-nolease']).only).toEqual(['ours', 'ours-nolease']);
    expect(() => parse(['--only', 'ours-lease'])).toThrow(/--only/);
  });
});
