/** The throughput runs of one contender, each tagged with the round it ran in. */
export interface RoundRuns {
  runs: ReadonlyArray<{ perSecond: number; complete: boolean }>;
  /** The round (0-based) of each entry of `runs`. */
  rounds: readonly number[];
}

/**
 * The share of `base`'s throughput that `variant` costs: 1 - the median over rounds of
 * variant msg/s / base msg/s, counting only rounds where both ran complete. Paired by round
 * (the two ran back to back), a machine that slows down or speeds up during the bench moves both
 * sides of a pair alike, where it would skew two separate medians. Negative: the variant measured
 * faster. Null when no round has both.
 */
export function pairedOverhead(base: RoundRuns, variant: RoundRuns): number | null {
  const ratios: number[] = [];
  variant.runs.forEach((run, i) => {
    const j = base.rounds.indexOf(variant.rounds[i]!);
    const b = j < 0 ? undefined : base.runs[j];
    if (run.complete && b?.complete && b.perSecond > 0) ratios.push(run.perSecond / b.perSecond);
  });
  if (ratios.length === 0) return null;
  ratios.sort((x, y) => x - y);
  const mid = ratios.length >> 1;
  const median = ratios.length % 2 ? ratios[mid]! : (ratios[mid - 1]! + ratios[mid]!) / 2;
  return 1 - median;
}

/** The overhead lines printed after the results table. */
export function renderOverheads(
  target: number,
  oursPerS: number | null,
  lines: ReadonlyArray<{ name: string; key: string; overhead: number | null; perS: number | null }>,
): string {
  const known = (v: number | null): v is number => v !== null && Number.isFinite(v);
  const pct = (v: number | null) => (known(v) ? `${(v * 100).toFixed(1)}%` : '-');
  const rate = (v: number) => Math.round(v).toLocaleString('en-US');
  return [
    `overhead vs ours (1 - median of run-by-run msg/s ratios to ours; target <= ${target * 100}%)`,
    ...lines.map(
      (l) =>
        `  ${`${l.key} (${l.name})`.padEnd(40)} ${pct(l.overhead).padStart(7)}` +
        (known(l.perS) && known(oursPerS) ? `   median msg/s ${rate(l.perS)} vs ours ${rate(oursPerS)}` : ''),
    ),
  ].join('\n');
}
