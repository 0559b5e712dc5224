import { describe, expect, it } from 'vitest';
import { spreadOf } from '../spread';
import { compareFigures, describeLosses } from './compare';

describe('compareFigures', () => {
  it('lists every latency figure where a baseline is lower, by any margin', () => {
    const [pub, paced] = compareFigures([
      { metric: 'publish_p95_ms', better: 'lower', ours: 0.104, baselines: { raw: 0.045, bullmq: 0.9 } },
      { metric: 'paced_p99_ms', better: 'lower', ours: 2.41, baselines: { raw: 1.05, bullmq: null } },
    ]);
    expect(pub).toMatchObject({ baseline_ahead: ['raw'], ours: 0.104, baselines: { raw: 0.045, bullmq: 0.9 } });
    expect(paced?.baseline_ahead).toEqual(['raw']);
  });

  it('decides throughput on the paired ratios: baseline ahead below an IQR under 1, even when it holds 1', () => {
    const [f] = compareFigures([
      {
        metric: 'per_s',
        better: 'higher',
        ours: 40_000,
        baselines: { raw: 50_000, bullmq: 5_000 },
        pairedRatios: { raw: spreadOf([0.9, 1.05, 0.95, 1.1, 0.98]), bullmq: spreadOf([7, 8, 9]) },
      },
    ]);
    expect(f).toMatchObject({ baseline_ahead: [], even: ['raw'] });
    expect(f?.paired_ratio?.raw).toMatchObject({ median: 0.98, q1: 0.95, q3: 1.05 });
    // The issue's rounds (IQR 0.65–0.91): raw is ahead, though one round had ours at 1.01.
    const [issue] = compareFigures([{ metric: 'per_s', better: 'higher', ours: 1, baselines: { raw: 1 }, pairedRatios: { raw: spreadOf([1.01, 0.59, 0.84, 0.91, 0.65]) } }]);
    expect(issue?.baseline_ahead).toEqual(['raw']);
    const [lost] = compareFigures([{ metric: 'per_s', better: 'higher', ours: 1, baselines: { raw: 2 }, pairedRatios: { raw: spreadOf([0.6, 0.7, 0.75]) } }]);
    expect(lost?.baseline_ahead).toEqual(['raw']);
  });

  it('describes each loss in one line', () => {
    const lines = describeLosses(
      compareFigures([
        { metric: 'publish_p95_ms', better: 'lower', ours: 0.104, baselines: { raw: 0.045 } },
        { metric: 'per_s', better: 'higher', ours: 1, baselines: { raw: 2 }, pairedRatios: { raw: spreadOf([0.6, 0.7, 0.75]) } },
        { metric: 'paced_p50_ms', better: 'lower', ours: 0.3, baselines: { raw: 0.4 } },
      ]),
    );
    expect(lines).toEqual(['publish_p95_ms: raw 0.045 vs ours 0.104 (lower is better)', 'per_s: raw ahead, ours/raw 0.7 (IQR 0.65–0.725)']);
  });
});
