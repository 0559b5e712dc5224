import { fmt, table, targetOf, type Cell, type machineInfo, type Target } from '../report';
import { oneMinus, roundSpread, type Spread } from '../spread';
import { round, roundSummary, type Summary } from '../stats';
import { MIN_PAIRED_RUNS, pairedRatios, pairedRatioSpread, type OverheadLine } from './overhead';
import { compareFigures, describeLosses, type ComparedFigure, type Figure } from './compare';
import type { ContenderName, PacedResult, ThroughputResult } from './common';
import type { Config } from '../streams';
import { OVERHEAD_TARGET, OVERHEADS, RATIOS, type OverheadSpec, type RatioSpec } from './specs';

export interface ContenderReport {
  available: boolean;
  label: string;
  error?: string;
  settings?: Record<string, unknown>;
  warmup?: string;
  messages: number;
  runs: ThroughputResult[];
  /** The round (0-based) of each entry of `runs`, to pair contenders measured side by side. */
  rounds: number[];
  perSecond: number | null;
  saturated?: { p50: number; p99: number };
  paced?: PacedResult;
  publish?: Summary;
  errors: string[];
}

type Reports = ReadonlyMap<ContenderName, ContenderReport>;

/** Every overhead of OVERHEADS from the runs of its two contenders (null when one did not run). */
export function overheadLines(reports: Reports): OverheadLine[] {
  return OVERHEADS.map((o) => {
    const base = reports.get(o.base);
    const variant = reports.get(o.variant);
    const ratios = base && variant ? pairedRatioSpread(base, variant) : null;
    return {
      key: o.key,
      name: o.variant,
      base: o.base,
      overhead: ratios ? 1 - ratios.median : null,
      spread: ratios ? oneMinus(ratios) : null,
      perS: variant?.perSecond ?? null,
      basePerS: base?.perSecond ?? null,
      pairs: base && variant ? pairedRatios(base, variant).length : 0,
    };
  });
}

/** One ratio of RATIOS: the paired ratios ours / baseline in round order, and their spread. */
export interface RatioLine {
  spec: RatioSpec;
  rounds: number[];
  spread: Spread | null;
}

export function ratioLines(reports: Reports): RatioLine[] {
  return RATIOS.map((spec) => {
    const base = reports.get(spec.base);
    const variant = reports.get(spec.variant);
    return {
      spec,
      rounds: base && variant ? pairedRatios(base, variant) : [],
      spread: base && variant ? pairedRatioSpread(base, variant) : null,
    };
  });
}

/** The figures of ours against raw and BullMQ, and where a baseline is ahead. */
export function baselineFigures(reports: Reports, ratios: readonly RatioLine[]): ComparedFigure[] {
  const get = (n: ContenderName) => reports.get(n);
  const fig = (metric: string, better: 'higher' | 'lower', pick: (r: ContenderReport) => number | undefined | null): Figure => ({
    metric,
    better,
    ours: pickOf(get('ours'), pick),
    baselines: { raw: pickOf(get('raw'), pick), bullmq: pickOf(get('bullmq'), pick) },
  });
  const paired = (key: RatioSpec['key']) => ratios.find((l) => l.spec.key === key)?.spread ?? null;
  return compareFigures([
    { ...fig('per_s', 'higher', (r) => r.perSecond), pairedRatios: { raw: paired('ratio_vs_raw'), bullmq: paired('ratio_vs_bullmq') } },
    fig('publish_p50_ms', 'lower', (r) => r.publish?.p50),
    fig('publish_p95_ms', 'lower', (r) => r.publish?.p95),
    fig('paced_p50_ms', 'lower', (r) => r.paced?.latency.p50),
    fig('paced_p99_ms', 'lower', (r) => r.paced?.latency.p99),
    fig('saturated_p50_ms', 'lower', (r) => r.saturated?.p50),
    fig('saturated_p99_ms', 'lower', (r) => r.saturated?.p99),
  ]);
}

function pickOf(r: ContenderReport | undefined, pick: (r: ContenderReport) => number | undefined | null): number | null {
  if (!r?.available) return null;
  const v = pick(r);
  return v === undefined || v === null || !Number.isFinite(v) ? null : v;
}

function targets(cfg: Config, reports: Reports, ratios: readonly RatioLine[], overheads: Record<OverheadSpec['key'], OverheadLine>): Record<string, Target> {
  const unequal = cfg.bullmqMessages !== cfg.messages;
  const ratioTarget = (l: RatioLine) =>
    targetOf(
      l.spread?.median ?? null,
      `>= ${l.spec.atLeast} (median of paired rounds; inconclusive when the IQR straddles it)` +
        (l.spec.base === 'bullmq' && unequal ? `; NOT like for like: BullMQ ran ${cfg.bullmqMessages} messages per run, ours ${cfg.messages}` : ''),
      (v) => v >= l.spec.atLeast,
      l.spread,
    );
  const overheadTarget = (key: OverheadSpec['key']) =>
    targetOf(overheads[key].overhead, `<= ${OVERHEAD_TARGET} (1 - median of paired rounds)`, (v) => v <= OVERHEAD_TARGET, overheads[key].spread);
  return {
    ratio_vs_raw: ratioTarget(ratios[0] as RatioLine),
    ratio_vs_bullmq: ratioTarget(ratios[1] as RatioLine),
    publish_p95_ms: targetOf(reports.get('ours')?.publish?.p95 ?? null, '< 1', (v) => v < 1),
    metrics_overhead: overheadTarget('metrics_overhead'),
    reliability_overhead: overheadTarget('reliability_overhead'),
    lease_overhead: overheadTarget('lease_overhead'),
  };
}

function contenderJson(cfg: Config, r: ContenderReport): Record<string, unknown> {
  return {
    available: r.available,
    label: r.label,
    ...(r.error ? { error: r.error } : {}),
    settings: r.settings ?? null,
    warmup: r.warmup ?? null,
    messages: r.messages,
    per_s: round(r.perSecond ?? Number.NaN, 0),
    runs: r.runs.map((x, i) => ({
      round: (r.rounds[i] ?? -1) + 1,
      per_s: round(x.perSecond, 0),
      seconds: round(x.seconds, 4),
      publish_seconds: round(x.publishSeconds, 4),
      published: x.published,
      acked: x.acked,
      complete: x.complete,
      latency_ms: roundSummary(x.latency),
    })),
    saturated_latency_ms: r.saturated ? { p50: round(r.saturated.p50), p99: round(r.saturated.p99) } : null,
    paced_latency_ms: r.paced ? { rate_per_s: cfg.rate, published: r.paced.published, received: r.paced.received, ...roundSummary(r.paced.latency) } : null,
    publish_ms: r.publish ? roundSummary(r.publish, 4) : null,
    errors: r.errors,
  };
}

export function buildResult(cfg: Config, reports: Reports, machine: ReturnType<typeof machineInfo>, envelopeBytes: number, durationS: number) {
  const perS = (n: ContenderName) => round(reports.get(n)?.perSecond ?? Number.NaN, 0);
  const oursR = reports.get('ours');
  const lines = overheadLines(reports);
  const overheads = Object.fromEntries(lines.map((l) => [l.key, l])) as Record<OverheadSpec['key'], OverheadLine>;
  const ratios = ratioLines(reports);
  const [vsRaw, vsBull] = ratios as [RatioLine, RatioLine];
  const vs = baselineFigures(reports, ratios);
  const messages = Object.fromEntries([...reports].map(([n, r]) => [n, r.messages]));
  return {
    bench: 'streams',
    date: new Date().toISOString(),
    ours_per_s: perS('ours'),
    raw_per_s: perS('raw'),
    bullmq_per_s: perS('bullmq'),
    ratio_vs_raw: round(vsRaw.spread?.median ?? Number.NaN, 3),
    ratio_vs_raw_spread: roundSpread(vsRaw.spread),
    ratio_vs_raw_rounds: vsRaw.rounds.map((v) => round(v, 3)),
    ratio_vs_bullmq: round(vsBull.spread?.median ?? Number.NaN, 3),
    ratio_vs_bullmq_spread: roundSpread(vsBull.spread),
    ratio_vs_bullmq_rounds: vsBull.rounds.map((v) => round(v, 3)),
    p50_ms: round(oursR?.paced?.latency.p50 ?? Number.NaN),
    p99_ms: round(oursR?.paced?.latency.p99 ?? Number.NaN),
    saturated_p50_ms: round(oursR?.saturated?.p50 ?? Number.NaN),
    saturated_p99_ms: round(oursR?.saturated?.p99 ?? Number.NaN),
    publish_p95_ms: round(oursR?.publish?.p95 ?? Number.NaN, 4),
    ours_metrics_per_s: perS('ours+metrics'),
    ours_reliability_per_s: perS('ours+reliability'),
    ours_nolease_per_s: perS('ours-nolease'),
    ours_dedupe_per_s: perS('ours+dedupe'),
    // Reported, not a target: dedupe is one more script call per publish, a cost by design.
    ...Object.fromEntries(lines.map((l) => [l.key, round(l.overhead ?? Number.NaN, 3)])),
    overhead_spread: Object.fromEntries(lines.map((l) => [l.key, roundSpread(l.spread ?? null)])),
    overhead_pairs: Object.fromEntries(lines.map((l) => [l.key, l.pairs])),
    vs_baselines: vs,
    baseline_ahead: describeLosses(vs),
    messages,
    messages_equal: new Set(Object.values(messages)).size <= 1,
    envelope_bytes: envelopeBytes,
    targets: targets(cfg, reports, ratios, overheads),
    machine,
    method: method(cfg),
    duration_s: round(durationS, 1),
    contenders: Object.fromEntries([...reports].map(([n, r]) => [n, contenderJson(cfg, r)])),
  };
}

function method(cfg: Config): Record<string, unknown> {
  return {
    process: 'one process: producer and consumer of each contender share one Node event loop; redis-server is a separate process on 127.0.0.1',
    throughput: 'messages acked / seconds from the first publish to the last ack; per contender the median of the complete runs',
    ratios:
      `ratio_vs_raw / ratio_vs_bullmq = the median of the per-round ratios ours msg/s / baseline msg/s (runs of the same round, ` +
      `contenders rotated each round and reversed every other round); *_spread = their min, quartiles (linear interpolation) and max; ` +
      `*_rounds = the ratios in round order; null with fewer than ${MIN_PAIRED_RUNS} pairs. A target is inconclusive when the IQR straddles it.`,
    runs: cfg.runs,
    bullmq_runs: Math.max(cfg.bullmqRuns, MIN_PAIRED_RUNS),
    paired_min_runs: MIN_PAIRED_RUNS,
    messages_per_run: cfg.messages,
    bullmq_messages_per_run: cfg.bullmqMessages,
    batch: cfg.batch,
    warmup_messages: cfg.warmup,
    p50_p99: `end to end (publish time stamped in the envelope payload at ts, sub-ms) to handler, single publishes paced at ${cfg.rate}/s for ${cfg.pacedSeconds} s with the consumer running; saturated_* = the same during the throughput runs (includes the backlog wait)`,
    publish_p95: `${cfg.publishCount} sequential awaited single publishes, no consumer running, after ${Math.min(200, cfg.publishCount)} untimed ones`,
    vs_baselines:
      'every figure of ours against raw and BullMQ; baseline_ahead lists where a baseline is better: for latencies (one run each) any margin; for throughput when the IQR of the paired ratios is below 1 (within it: `even`)',
    overhead:
      'lease_overhead = 1 - ours msg/s / ours-nolease msg/s (ours keeps the consumer lease defaults; ours-nolease is the same with leaseRenewMs: 0); ' +
      'metrics_overhead = 1 - ours+metrics msg/s / ours msg/s (transport with @agentbus/metrics transportHooks()); ' +
      'reliability_overhead = the same for ours+reliability (consume through createReliability, no failures); ' +
      'dedupe_overhead = the same for ours+dedupe (publish dedupe on at the default window; every other ours variant, like raw, publishes without it); ' +
      `each 1 - the median of the paired per-round ratios, overhead_spread their spread; null with fewer than ${MIN_PAIRED_RUNS} complete pairs (overhead_pairs)`,
    seconds_limit_per_phase: cfg.seconds,
    budget_s: cfg.budget,
  };
}

export function renderTable(reports: Reports, cfg: Config): string {
  const rows: Cell[][] = [];
  for (const [name, r] of reports) {
    if (!r.available) {
      rows.push([name, `not available: ${r.error ?? '?'}`.slice(0, 60)]);
      continue;
    }
    rows.push([
      name,
      fmt(r.messages),
      `${r.runs.filter((x) => x.complete).length}/${r.runs.length}`,
      fmt(r.perSecond),
      r.runs.map((x) => fmt(x.perSecond)).join(' '),
      fmt(r.saturated?.p50, 1),
      fmt(r.saturated?.p99, 1),
      fmt(r.paced?.latency.p50, 2),
      fmt(r.paced?.latency.p99, 2),
      fmt(r.publish?.p50, 3),
      fmt(r.publish?.p95, 3),
    ]);
  }
  return table(
    ['contender', 'msgs/run', 'runs ok', 'msg/s (median)', 'msg/s per run', 'sat p50 ms', 'sat p99 ms', `p50 ms @${fmt(cfg.rate)}/s`, `p99 ms @${fmt(cfg.rate)}/s`, 'publish p50 ms', 'publish p95 ms'],
    rows,
  );
}

/** ours against each baseline, figure by figure, with who is ahead. */
export function renderComparison(vs: readonly ComparedFigure[]): string {
  const cell = (c: ComparedFigure, name: string) => {
    const p = c.paired_ratio?.[name];
    const v = c.baselines[name];
    const text = p ? `${fmt(v)} (ours/${name} ${p.median}, IQR ${p.q1}–${p.q3})` : v === null || v === undefined ? '-' : String(v);
    return c.baseline_ahead.includes(name) ? `${text} AHEAD` : c.even.includes(name) ? `${text} even` : text;
  };
  const rows: Cell[][] = vs.map((c) => [c.metric, c.better, c.better === 'higher' ? fmt(c.ours) : c.ours, cell(c, 'raw'), cell(c, 'bullmq')]);
  return `ours vs baselines (AHEAD: the baseline beats ours on that figure)\n${table(['figure', 'better', 'ours', 'raw', 'bullmq'], rows)}`;
}
