import { describe, expect, it } from 'vitest';
import { pairedOverhead, renderOverheads } from './overhead';

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
    expect(pairedOverhead(base, variant)).toBeCloseTo(-0.2);
    expect(pairedOverhead({ runs: [], rounds: [] }, variant)).toBeNull();
  });
});

describe('renderOverheads', () => {
  it('prints each overhead as a percentage with the medians, a dash when unknown', () => {
    const text = renderOverheads(0.1, 50_000, [
      { key: 'metrics_overhead', name: 'ours+metrics', overhead: 0.0123, perS: 49_000 },
      { key: 'reliability_overhead', name: 'ours+reliability', overhead: null, perS: null },
    ]);
    expect(text).toContain('target <= 10%');
    expect(text).toMatch(/metrics_overhead \(ours\+metrics\)\s+1\.2% {3}median msg\/s 49,000 vs ours 50,000/);
    expect(text).toMatch(/reliability_overhead \(ours\+reliability\)\s+-$/m);
  });
});
