import { spreadOf, type Spread } from '../spread';

/** Every overhead figure is the median of at least this many paired runs (alternating rounds). */
export const MIN_PAIRED_RUNS = 3;

/** The throughput runs of one contender, each tagged with the round it ran in. */
export interface RoundRuns {
  runs: ReadonlyArray<{ perSecond: number; complete: boolean }>;
  /** The round (0-based) of each entry of `runs`. */
  rounds: readonly number[];
}

/**
 * variant msg/s / base msg/s of every round where both ran complete, in round order. Paired by
 * round (the two ran in the same rotation), a machine that slows down or speeds up during the
 * bench moves both sides of a pair alike, where it would skew two separate medians.
 */
export function pairedRatios(base: RoundRuns, variant: RoundRuns): number[] {
  const ratios: number[] = [];
  variant.runs.forEach((run, i) => {
    const j = base.rounds.indexOf(variant.rounds[i]!);
    const b = j < 0 ? undefined : base.runs[j];
    if (run.complete && b?.complete && b.perSecond > 0) ratios.push(run.perSecond / b.perSecond);
  });
  return ratios;
}

/**
 * The spread of the paired ratios variant / base (see `pairedRatios`): its median is the figure,
 * its quartiles and range what the rounds disagree by. Null with fewer than `minPairs` pairs.
 */
export function pairedRatioSpread(base: RoundRuns, variant: RoundRuns, minPairs = MIN_PAIRED_RUNS): Spread | null {
  const ratios = pairedRatios(base, variant);
  return ratios.length === 0 || ratios.length < minPairs ? null : spreadOf(ratios);
}

/**
 * The share of `base`'s throughput that `variant` costs: 1 - the median of the paired ratios
 * (see `pairedRatios`). Negative: the variant measured faster. Null when fewer than `minPairs`
 * rounds have both (one run swings too much to be a figure).
 */
export function pairedOverhead(base: RoundRuns, variant: RoundRuns, minPairs = MIN_PAIRED_RUNS): number | null {
  const s = pairedRatioSpread(base, variant, minPairs);
  return s === null ? null : 1 - s.median;
}

/**
 * The contenders of each throughput round, in the order they run: round r has every contender
 * still due a run, rotated by floor(r / 2) and reversed in odd rounds, so any two contenders
 * alternate which of them runs first (rounds 2k and 2k+1 have opposite orders) and each moves
 * through the places of a round (drift on a noisy machine spreads evenly). A contender of
 * `paired` (one side of an overhead) runs max(runs, minPaired) rounds, the others `runs`.
 */
export function planRounds<T>(
  names: readonly T[],
  runs: number,
  paired: ReadonlySet<T>,
  minPaired = MIN_PAIRED_RUNS,
  /** Contenders that run another count than `runs` (still raised to `minPaired` when paired). */
  ownRuns: ReadonlyMap<T, number> = new Map(),
): T[][] {
  const runsOf = (n: T) => {
    const own = ownRuns.get(n) ?? runs;
    return paired.has(n) ? Math.max(own, minPaired) : own;
  };
  const total = Math.max(0, ...names.map(runsOf));
  const plan: T[][] = [];
  for (let r = 0; r < total; r++) {
    const due = names.filter((n) => runsOf(n) > r);
    const shift = Math.floor(r / 2);
    const order = due.map((_, i) => due[(i + shift) % due.length] as T);
    plan.push(r % 2 ? order.reverse() : order);
  }
  return plan;
}

/** One overhead line: `variant` measured against `base`. */
export interface OverheadLine {
  key: string;
  /** The contender whose cost it is. */
  name: string;
  /** The contender it is measured against. */
  base: string;
  overhead: number | null;
  /** Median msg/s of `name` and of `base`. */
  perS: number | null;
  basePerS: number | null;
  /** Paired rounds the overhead is the median of. */
  pairs: number;
  /** The overheads' spread over those rounds (1 - each paired ratio); null under the minimum of pairs. */
  spread?: Spread | null;
}

/** The overhead lines printed after the results table. */
export function renderOverheads(target: number, lines: readonly OverheadLine[], minPairs = MIN_PAIRED_RUNS): string {
  const known = (v: number | null): v is number => v !== null && Number.isFinite(v);
  const pct = (v: number | null) => (known(v) ? `${(v * 100).toFixed(1)}%` : '-');
  const rate = (v: number) => Math.round(v).toLocaleString('en-US');
  return [
    `overheads (1 - median of run-by-run msg/s ratios, variant / base, over >= ${minPairs} paired runs; target <= ${target * 100}%)`,
    ...lines.map((l) => {
      const range = l.spread ? ` (IQR ${pct(l.spread.q1)}..${pct(l.spread.q3)}, range ${pct(l.spread.min)}..${pct(l.spread.max)})` : '';
      const head = `  ${`${l.key} (${l.name} vs ${l.base})`.padEnd(48)} ${pct(l.overhead).padStart(7)}${range}`;
      const rates = known(l.perS) && known(l.basePerS) ? `   median msg/s ${rate(l.perS)} vs ${rate(l.basePerS)}` : '';
      const pairs =
        l.perS === null || l.basePerS === null
          ? '   (not run)'
          : l.pairs < minPairs
            ? `   (${l.pairs} paired runs, needs ${minPairs})`
            : `   (${l.pairs} paired runs)`;
      return head + rates + pairs;
    }),
  ].join('\n');
}
