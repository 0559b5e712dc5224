import type { ContenderName } from './common';

/** Overheads above this fraction of the base's throughput are reported as a miss. */
export const OVERHEAD_TARGET = 0.1;

/** One overhead: 1 - `variant` msg/s / `base` msg/s, paired run by run (see streams/overhead.ts). */
export interface OverheadSpec {
  key: 'metrics_overhead' | 'reliability_overhead' | 'lease_overhead' | 'dedupe_overhead';
  base: ContenderName;
  variant: ContenderName;
}

export const OVERHEADS: readonly OverheadSpec[] = [
  { key: 'lease_overhead', base: 'ours-nolease', variant: 'ours' },
  { key: 'metrics_overhead', base: 'ours', variant: 'ours+metrics' },
  { key: 'reliability_overhead', base: 'ours', variant: 'ours+reliability' },
  { key: 'dedupe_overhead', base: 'ours', variant: 'ours+dedupe' },
];

/** ours against a baseline: the median of the paired per-round ratios ours / baseline, with their spread. */
export interface RatioSpec {
  key: 'ratio_vs_raw' | 'ratio_vs_bullmq';
  base: ContenderName;
  variant: ContenderName;
  /** ours must reach at least this ratio. */
  atLeast: number;
}

export const RATIOS: readonly RatioSpec[] = [
  { key: 'ratio_vs_raw', base: 'raw', variant: 'ours', atLeast: 0.8 },
  { key: 'ratio_vs_bullmq', base: 'bullmq', variant: 'ours', atLeast: 5 },
];
