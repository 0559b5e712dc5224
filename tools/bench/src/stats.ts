/** Small statistics helpers shared by every bench. */

/** Milliseconds since the epoch with sub-millisecond resolution (same clock in one process). */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * The `p`-th percentile (0-100) of values sorted ascending, by nearest rank: the smallest value
 * such that at least p% of the values are <= it (p99 of 100 values is the 99th). NaN when empty.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const rank = Math.ceil((p / 100) * n);
  const index = Math.min(n - 1, Math.max(0, rank - 1));
  return sorted[index] as number;
}

/** The middle value (mean of the two middle ones for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(n / 2);
  return n % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export interface Summary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Count, min, mean, p50/p95/p99 and max of the samples (not modified). */
export function summarize(samples: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(samples).sort();
  const n = sorted.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i] as number;
  return {
    count: n,
    min: n ? (sorted[0] as number) : Number.NaN,
    mean: n ? sum / n : Number.NaN,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: n ? (sorted[n - 1] as number) : Number.NaN,
  };
}

/** Rounds to `digits` decimals; NaN and infinities become null (JSON has no NaN). */
export function round(value: number, digits = 3): number | null {
  if (!Number.isFinite(value)) return null;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** A summary rounded for a report. */
export function roundSummary(s: Summary, digits = 3): Record<keyof Summary, number | null> {
  return {
    count: s.count,
    min: round(s.min, digits),
    mean: round(s.mean, digits),
    p50: round(s.p50, digits),
    p95: round(s.p95, digits),
    p99: round(s.p99, digits),
    max: round(s.max, digits),
  };
}

/** Collects up to `capacity` samples without allocating per sample; later ones are dropped. */
export class SampleBuffer {
  private readonly buf: Float64Array;
  private n = 0;

  constructor(capacity: number) {
    this.buf = new Float64Array(Math.max(0, Math.floor(capacity)));
  }

  push(value: number): void {
    if (this.n < this.buf.length) this.buf[this.n++] = value;
  }

  get length(): number {
    return this.n;
  }

  values(): Float64Array {
    return this.buf.subarray(0, this.n);
  }

  summary(): Summary {
    return summarize(this.values());
  }
}
