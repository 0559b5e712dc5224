import { describe, expect, it } from 'vitest';
import { parseStreamsArgs, type Config } from '../streams';
import { summarize } from '../stats';
import type { ContenderName, ThroughputResult } from './common';
import { buildResult, type ContenderReport } from './result';

const run = (perSecond: number): ThroughputResult => ({
  published: 100,
  acked: 100,
  complete: true,
  seconds: 1,
  publishSeconds: 1,
  perSecond,
  latency: summarize([1, 2, 3]),
});

const report = (perS: number[], publishP95: number, pacedP99: number, messages = 50_000): ContenderReport => ({
  available: true,
  label: 'x',
  messages,
  runs: perS.map(run),
  rounds: perS.map((_, i) => i),
  perSecond: [...perS].sort((a, b) => a - b)[perS.length >> 1] ?? null,
  publish: summarize(Array.from({ length: 100 }, () => publishP95)),
  paced: { published: 10, received: 10, latency: summarize(Array.from({ length: 100 }, () => pacedP99)) },
  errors: [],
});

const machine = { cpu_model: 'x', cpus: 2, total_mem_gb: 1, platform: 'linux', arch: 'x64', os_release: '', node: 'v20', redis: '7', loadavg_1m: 1 };

describe('streams buildResult', () => {
  const cfg = parseStreamsArgs(['--only', 'ours,raw,bullmq']) as Config;
  const reports = new Map<ContenderName, ContenderReport>([
    ['ours', report([40_400, 35_400, 42_000, 40_950, 40_300], 0.104, 2.41)],
    ['raw', report([40_000, 60_000, 50_000, 45_000, 62_000], 0.045, 1.05)],
    ['bullmq', report([5_000, 5_000, 5_000], 0.9, 3)],
  ]);
  const r = buildResult(cfg, reports, machine, 200, 10);

  it('ratio_vs_raw is the median of the paired rounds, with its spread and rounds; the target inconclusive inside the IQR', () => {
    expect(r.ratio_vs_raw).toBe(0.84);
    expect(r.ratio_vs_raw_rounds).toEqual([1.01, 0.59, 0.84, 0.91, 0.65]);
    expect(r.ratio_vs_raw_spread).toMatchObject({ n: 5, min: 0.59, q1: 0.65, q3: 0.91, max: 1.01 });
    expect(r.targets.ratio_vs_raw).toMatchObject({ value: 0.84, pass: null, verdict: 'inconclusive' });
    // BullMQ ran 3 rounds: 3 pairs.
    expect(r.ratio_vs_bullmq_spread).toMatchObject({ n: 3 });
  });

  it('lists every figure where a baseline is ahead', () => {
    expect(r.baseline_ahead).toEqual(
      expect.arrayContaining(['publish_p95_ms: raw 0.045 vs ours 0.104 (lower is better)', 'paced_p99_ms: raw 1.05 vs ours 2.41 (lower is better)']),
    );
    expect(r.baseline_ahead.some((l) => l.startsWith('per_s: raw ahead'))).toBe(true);
    expect(r.baseline_ahead.some((l) => l.includes('bullmq'))).toBe(false);
  });

  it('marks unequal message counts', () => {
    expect(r.messages_equal).toBe(true);
    const unequal = new Map(reports);
    unequal.set('bullmq', report([5_000, 5_000, 5_000], 0.9, 3, 20_000));
    const u = buildResult({ ...cfg, bullmqMessages: 20_000 }, unequal, machine, 200, 10);
    expect(u.messages_equal).toBe(false);
    expect(u.targets.ratio_vs_bullmq?.target).toMatch(/NOT like for like/);
  });
});
