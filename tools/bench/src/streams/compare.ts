import { aheadOf, roundSpread, type Spread } from '../spread';
import { round } from '../stats';

/** A figure measured for ours and for the baselines, and which way is better. */
export interface Figure {
  metric: string;
  better: 'higher' | 'lower';
  ours: number | null;
  /** Baseline name -> its figure (null: not measured). */
  baselines: Record<string, number | null>;
  /**
   * Baseline name -> spread of the paired ratios ours / baseline, where the figure is a median of
   * paired rounds (throughput): who is ahead is then decided on its IQR, not on two medians.
   */
  pairedRatios?: Record<string, Spread | null>;
}

export interface ComparedFigure {
  metric: string;
  better: 'higher' | 'lower';
  ours: number | null;
  baselines: Record<string, number | null>;
  paired_ratio?: Record<string, ReturnType<typeof roundSpread>>;
  /** The baselines that beat ours on this figure. */
  baseline_ahead: string[];
  /** Baselines level with ours: the paired ratios' IQR contains 1. */
  even: string[];
}

/**
 * Which baselines beat ours on each figure. A single-run figure (a latency percentile) counts as
 * a win for whichever side has the better number, however small the margin: the report must show
 * where we lose, not only where we win. A paired figure is a win only when its IQR is past 1.
 */
export function compareFigures(figures: readonly Figure[]): ComparedFigure[] {
  return figures.map((f) => {
    const ahead: string[] = [];
    const even: string[] = [];
    for (const [name, value] of Object.entries(f.baselines)) {
      const paired = f.pairedRatios?.[name];
      if (paired) {
        // ours / baseline: "higher is better" figures only (throughput).
        const side = aheadOf(paired);
        if (side === 'baseline') ahead.push(name);
        else if (side === 'even') even.push(name);
        continue;
      }
      if (value === null || f.ours === null || !Number.isFinite(value) || !Number.isFinite(f.ours)) continue;
      if (f.better === 'lower' ? value < f.ours : value > f.ours) ahead.push(name);
    }
    const rounded = (v: number | null) => (v === null ? null : round(v, f.better === 'lower' ? 4 : 0));
    return {
      metric: f.metric,
      better: f.better,
      ours: rounded(f.ours),
      baselines: Object.fromEntries(Object.entries(f.baselines).map(([k, v]) => [k, rounded(v)])),
      ...(f.pairedRatios ? { paired_ratio: Object.fromEntries(Object.entries(f.pairedRatios).map(([k, v]) => [k, roundSpread(v)])) } : {}),
      baseline_ahead: ahead,
      even,
    };
  });
}

/** One line per figure where a baseline is ahead, for the log and the README. */
export function describeLosses(compared: readonly ComparedFigure[]): string[] {
  const lines: string[] = [];
  for (const c of compared) {
    for (const name of c.baseline_ahead) {
      const ratio = c.paired_ratio?.[name];
      lines.push(
        ratio
          ? `${c.metric}: ${name} ahead, ours/${name} ${ratio.median} (IQR ${ratio.q1}–${ratio.q3})`
          : `${c.metric}: ${name} ${c.baselines[name]} vs ours ${c.ours} (${c.better} is better)`,
      );
    }
  }
  return lines;
}
