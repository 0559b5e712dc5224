import { describe, expect, it } from 'vitest';
import { MIN_PAIRED_RUNS, pairedOverhead, pairedRatios, pairedRatioSpread, planRounds, renderOverheads, type OverheadLine } from './overhead';

const runs = (...perSecond: number[]) => perSecond.map((p) => ({ perSecond: p, complete: true }));

describe('pairedOverhead', () => {
  it('is 1 - the median of round-by-round ratios, so drift across rounds cancels', () => {
    // The machine halves in speed after round 0; the variant is 10% slower in every round.
    const base = { runs: runs(100, 50, 50), rounds: [0, 1, 2] };
    const variant = { runs: runs(90, 45, 45), rounds: [0, 1, 2] };
    expect(pairedOverhead(base, variant)).toBeCloseTo(0.1);
    // Even count: the mean of the middle two ratios (0.8 and 1.0).
    expect(pairedOverhead({ runs: runs(100, 100, 100, 100), rounds: [0, 1, 2, 3] }, { runs: runs(70, 80, 100, 110), rounds: [0, 1, 2, 3] })).toBeCloseTo(0.1);
  });

  it('pairs by round, skips incomplete runs and rounds one side missed; null with no pair', () => {
    const base = { runs: [{ perSecond: 100, complete: true }, { perSecond: 100, complete: false }], rounds: [0, 2] };
    const variant = { runs: runs(120, 50, 10), rounds: [0, 1, 2] };
    expect(pairedRatios(base, variant)).toEqual([1.2]);
    expect(pairedOverhead(base, variant, 1)).toBeCloseTo(-0.2);
    expect(pairedOverhead({ runs: [], rounds: [] }, variant, 1)).toBeNull();
  });

  it(`needs at least ${MIN_PAIRED_RUNS} complete pairs by default: one or two runs are no figure`, () => {
    expect(MIN_PAIRED_RUNS).toBe(3);
    const base = { runs: runs(100, 100, 100), rounds: [0, 1, 2] };
    expect(pairedOverhead(base, { runs: runs(90, 80), rounds: [0, 1] })).toBeNull();
    // Three rounds, but one of them incomplete on the variant's side: two pairs.
    expect(pairedOverhead(base, { runs: [...runs(90, 80), { perSecond: 70, complete: false }], rounds: [0, 1, 2] })).toBeNull();
    expect(pairedOverhead(base, { runs: runs(90, 80, 70), rounds: [0, 1, 2] })).toBeCloseTo(0.2);
  });
});

describe('pairedRatioSpread', () => {
  it('is the spread of the per-round ratios, not the ratio of two medians', () => {
    // The rounds: ours/raw 1.01, 0.59, 0.84, 0.91, 0.65 with raw swinging round to round.
    const raw = { runs: runs(40_000, 60_000, 50_000, 45_000, 62_000), rounds: [0, 1, 2, 3, 4] };
    const ours = { runs: runs(40_400, 35_400, 42_000, 40_950, 40_300), rounds: [0, 1, 2, 3, 4] };
    const s = pairedRatioSpread(raw, ours)!;
    expect(s.n).toBe(5);
    expect(s.median).toBeCloseTo(0.84);
    expect(s.min).toBeCloseTo(0.59);
    expect(s.max).toBeCloseTo(1.01);
    expect(s.q1).toBeCloseTo(0.65);
    expect(s.q3).toBeCloseTo(0.91);
    // The ratio of the medians (40,400 / 50,000) is another figure.
    expect(40_400 / 50_000).not.toBeCloseTo(s.median);
    expect(pairedOverhead(raw, ours)).toBeCloseTo(1 - 0.84);
  });

  it(`is null under ${MIN_PAIRED_RUNS} pairs`, () => {
    expect(pairedRatioSpread({ runs: runs(1, 1), rounds: [0, 1] }, { runs: runs(1, 1), rounds: [0, 1] })).toBeNull();
    expect(pairedRatioSpread({ runs: runs(1, 1), rounds: [0, 1] }, { runs: runs(1, 1), rounds: [0, 1] }, 2)).toMatchObject({ n: 2, median: 1 });
  });
});

describe('planRounds', () => {
  it('lets a contender run its own count (BullMQ), still raised to the paired minimum', () => {
    const plan = planRounds(['ours', 'raw', 'bullmq'], 5, new Set(['ours', 'raw', 'bullmq']), 3, new Map([['bullmq', 1]]));
    expect(plan).toHaveLength(5);
    expect(plan.filter((r) => r.includes('bullmq')).length).toBe(3);
    expect(plan.filter((r) => r.includes('raw')).length).toBe(5);
    expect(planRounds(['ours', 'bullmq'], 5, new Set(), 3, new Map([['bullmq', 2]])).filter((r) => r.includes('bullmq')).length).toBe(2);
  });

  const pairs = (plan: string[][], a: string, b: string) => plan.map((round) => (round.indexOf(a) < round.indexOf(b) ? a : b));

  it('runs every contender once a round, rotated and reversed so each pair alternates who goes first', () => {
    const names = ['ours', 'ours-nolease', 'ours+metrics', 'raw', 'bullmq'];
    const plan = planRounds(names, 4, new Set(['ours', 'ours-nolease', 'ours+metrics']));
    expect(plan).toEqual([
      ['ours', 'ours-nolease', 'ours+metrics', 'raw', 'bullmq'],
      ['bullmq', 'raw', 'ours+metrics', 'ours-nolease', 'ours'],
      ['ours-nolease', 'ours+metrics', 'raw', 'bullmq', 'ours'],
      ['ours', 'bullmq', 'raw', 'ours+metrics', 'ours-nolease'],
    ]);
    for (const round of plan) expect([...round].sort()).toEqual([...names].sort());
    // Rounds 2k and 2k+1 have opposite orders: any two contenders go first once each.
    for (const [a, b] of [['ours', 'ours-nolease'], ['ours', 'ours+metrics'], ['raw', 'bullmq']] as const) {
      const first = pairs(plan, a, b);
      expect(first[0]).not.toBe(first[1]);
      expect(first[2]).not.toBe(first[3]);
    }
  });

  it(`gives the paired contenders at least ${MIN_PAIRED_RUNS} rounds when --runs is lower; the others keep --runs`, () => {
    const plan = planRounds(['ours', 'raw', 'ours-nolease'], 1, new Set(['ours', 'ours-nolease']));
    expect(plan).toEqual([['ours', 'raw', 'ours-nolease'], ['ours-nolease', 'ours'], ['ours-nolease', 'ours']]);
    expect(plan.filter((r) => r.includes('ours')).length).toBe(3);
    expect(plan.filter((r) => r.includes('raw')).length).toBe(1);
    expect(planRounds(['ours', 'raw'], 2, new Set())).toHaveLength(2);
    expect(planRounds(['ours', 'ours+metrics'], 5, new Set(['ours', 'ours+metrics']))).toHaveLength(5);
    expect(planRounds([], 3, new Set())).toEqual([]);
  });
});

describe('renderOverheads', () => {
  const line = (l: Partial<OverheadLine> & Pick<OverheadLine, 'key' | 'name' | 'base'>): OverheadLine => ({
    overhead: null,
    perS: null,
    basePerS: null,
    pairs: 0,
    ...l,
  });

  it('prints each overhead as a percentage with the medians and its base, the paired runs, a dash when unknown', () => {
    const text = renderOverheads(0.1, [
      line({ key: 'lease_overhead', name: 'ours', base: 'ours-nolease', overhead: 0.031, perS: 48_000, basePerS: 49_536, pairs: 5 }),
      line({ key: 'metrics_overhead', name: 'ours+metrics', base: 'ours', overhead: 0.0123, perS: 49_000, basePerS: 50_000, pairs: 3 }),
      line({ key: 'reliability_overhead', name: 'ours+reliability', base: 'ours', perS: 30_000, basePerS: 50_000, pairs: 2 }),
      line({ key: 'other_overhead', name: 'ours+other', base: 'ours', basePerS: 50_000 }),
    ]);
    expect(text).toContain('target <= 10%');
    expect(text).toContain('>= 3 paired runs');
    expect(text).toMatch(/lease_overhead \(ours vs ours-nolease\)\s+3\.1% {3}median msg\/s 48,000 vs 49,536 {3}\(5 paired runs\)$/m);
    expect(text).toMatch(/metrics_overhead \(ours\+metrics vs ours\)\s+1\.2% {3}median msg\/s 49,000 vs 50,000 {3}\(3 paired runs\)$/m);
    expect(text).toMatch(/reliability_overhead \(ours\+reliability vs ours\)\s+- {3}median msg\/s 30,000 vs 50,000 {3}\(2 paired runs, needs 3\)$/m);
    expect(text).toMatch(/other_overhead \(ours\+other vs ours\)\s+- {3}\(not run\)$/m);
  });
});
