/**
 * Spread of repeated measurements and the verdict of a target against it. A figure measured a
 * few times on a shared machine is a range, not a point: a target inside that range is neither
 * met nor missed, and saying so is the honest report.
 */

export interface Spread {
  /** How many values (paired rounds, repeats) the spread is of. */
  n: number;
  median: number;
  min: number;
  /** Lower and upper quartile, linear interpolation between closest ranks (type 7, as R and numpy). */
  q1: number;
  q3: number;
  max: number;
}

/** Quantile `q` (0..1) of values sorted ascending, interpolated between the closest ranks. */
export function quantile(sorted: readonly number[], q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return (sorted[lo] as number) + (h - lo) * ((sorted[hi] as number) - (sorted[lo] as number));
}

/** Median, quartiles and range of the finite values; null when there is none. */
export function spreadOf(values: readonly number[]): Spread | null {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (s.length === 0) return null;
  return { n: s.length, median: quantile(s, 0.5), min: s[0] as number, q1: quantile(s, 0.25), q3: quantile(s, 0.75), max: s[s.length - 1] as number };
}

/** `1 - x` of every value: a spread of ratios turned into one of overheads (the ends swap). */
export function oneMinus(s: Spread): Spread {
  return { n: s.n, median: 1 - s.median, min: 1 - s.max, q1: 1 - s.q3, q3: 1 - s.q1, max: 1 - s.min };
}

export type Verdict = 'pass' | 'miss' | 'inconclusive';

/**
 * A threshold target (`ok` true on one side of a threshold) against a spread: pass when the whole
 * interquartile range meets it, miss when none of it does, inconclusive when the target lies
 * inside it. The IQR, not min..max: one round thrown off by someone else's job should not make
 * every verdict inconclusive, but a target inside the middle half of the rounds is inside the noise.
 */
export function verdictOf(s: Spread, ok: (v: number) => boolean): Verdict {
  const lo = ok(s.q1);
  const hi = ok(s.q3);
  if (lo && hi) return 'pass';
  if (!lo && !hi) return 'miss';
  return 'inconclusive';
}

/** Which side is ahead on a ratio of ours over a baseline (above 1: ours ahead), by its IQR. */
export function aheadOf(s: Spread): 'ours' | 'baseline' | 'even' {
  if (s.q1 > 1) return 'ours';
  if (s.q3 < 1) return 'baseline';
  return 'even';
}

/** A spread rounded for a results file. */
export function roundSpread(s: Spread | null, digits = 3): Record<keyof Spread, number> | null {
  if (s === null) return null;
  const r = (v: number) => Math.round(v * 10 ** digits) / 10 ** digits;
  return { n: s.n, median: r(s.median), min: r(s.min), q1: r(s.q1), q3: r(s.q3), max: r(s.max) };
}

/** `0.80 [0.65–0.91 IQR, 0.59–1.01, n=5]` for a log line or a table cell. */
export function formatSpread(s: Spread | null, digits = 2): string {
  if (s === null) return '-';
  const f = (v: number) => v.toFixed(digits);
  return `${f(s.median)} [IQR ${f(s.q1)}–${f(s.q3)}, range ${f(s.min)}–${f(s.max)}, n=${s.n}]`;
}
