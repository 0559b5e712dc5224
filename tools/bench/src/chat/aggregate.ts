import { aheadOf, roundSpread, spreadOf, type Spread } from '../spread';
import type { ContenderName, PhaseResult } from './workload';

/** What one repeat measured for each contender: the paced phase and each load level. */
export interface RepeatRun {
  repeat: number;
  /** The order the contenders ran in (alternated from repeat to repeat). */
  order: ContenderName[];
  /** 1-minute load average when the repeat started: the machine is shared. */
  load?: number;
  results: Partial<Record<ContenderName, { paced?: PhaseResult; levels: PhaseResult[] }>>;
}

/** A step: the paced phase, or one load level. */
export interface StepKey {
  step: 'paced' | 'load';
  rate: number;
}

/** One contender at one step, over the repeats. */
export interface ContenderStep {
  repeats: number;
  p50_ms: Spread | null;
  p99_ms: Spread | null;
  delivered_per_s: Spread | null;
  kept_up: number;
  /** Receipts timed before their send (two processes' clocks), over every repeat. */
  negative_latencies: number;
  cpu_pct: { clients: Spread | null; servers: Spread | null; redis: Spread | null };
  cpu_us_per_delivery: { clients: Spread | null; servers: Spread | null; redis: Spread | null };
}

/** Both contenders at one step, and the ratios of the repeats where both ran. */
export interface StepSummary extends StepKey {
  ours: ContenderStep | null;
  socketio: ContenderStep | null;
  /** socketio p99 / ours p99 per repeat (above 1: ours ahead). */
  ratio_p99: Spread | null;
  ratio_p50: Spread | null;
  /** ours delivered/s / socketio delivered/s per repeat. */
  ratio_delivered: Spread | null;
  /** Who is ahead on p99, by the IQR of ratio_p99; null when not both ran. */
  ahead: 'ours' | 'socketio' | 'even' | null;
  /** The same on p50 (ratio_p50). */
  ahead_p50: 'ours' | 'socketio' | 'even' | null;
}

function phaseAt(run: RepeatRun, name: ContenderName, key: StepKey): PhaseResult | undefined {
  const r = run.results[name];
  if (!r) return undefined;
  return key.step === 'paced' ? r.paced : r.levels.find((l) => l.rate === key.rate);
}

function contenderStep(phases: readonly PhaseResult[]): ContenderStep | null {
  if (phases.length === 0) return null;
  const of = (f: (p: PhaseResult) => number | null) => spreadOf(phases.map(f).filter((v): v is number => v !== null));
  return {
    repeats: phases.length,
    p50_ms: of((p) => p.latency.p50),
    p99_ms: of((p) => p.latency.p99),
    delivered_per_s: of((p) => p.deliveredPerS),
    kept_up: phases.filter((p) => p.keptUp).length,
    negative_latencies: phases.reduce((n, p) => n + p.negative, 0),
    cpu_pct: { clients: of((p) => p.cpu.clients), servers: of((p) => p.cpu.servers), redis: of((p) => p.cpu.redis) },
    cpu_us_per_delivery: { clients: of((p) => p.cpuUsPerDelivery.clients), servers: of((p) => p.cpuUsPerDelivery.servers), redis: of((p) => p.cpuUsPerDelivery.redis) },
  };
}

/** Every step any repeat ran: the paced phase first, then the levels in rising order. */
export function stepsOf(runs: readonly RepeatRun[]): StepKey[] {
  const rates = new Set<number>();
  let paced: number | undefined;
  for (const run of runs) {
    for (const r of Object.values(run.results)) {
      if (r?.paced) paced = r.paced.rate;
      for (const l of r?.levels ?? []) rates.add(l.rate);
    }
  }
  return [...(paced === undefined ? [] : [{ step: 'paced' as const, rate: paced }]), ...[...rates].sort((a, b) => a - b).map((rate) => ({ step: 'load' as const, rate }))];
}

/**
 * One step over the repeats: each contender's spread, and the per-repeat ratios of the repeats
 * where both ran it (paired: the two ran minutes apart at most, in alternating order).
 */
export function summarizeStep(runs: readonly RepeatRun[], key: StepKey): StepSummary {
  const p99: number[] = [];
  const p50: number[] = [];
  const delivered: number[] = [];
  const ours: PhaseResult[] = [];
  const sio: PhaseResult[] = [];
  for (const run of runs) {
    const o = phaseAt(run, 'ours', key);
    const s = phaseAt(run, 'socketio', key);
    if (o) ours.push(o);
    if (s) sio.push(s);
    if (!o || !s) continue;
    if (o.latency.p99 > 0) p99.push(s.latency.p99 / o.latency.p99);
    if (o.latency.p50 > 0) p50.push(s.latency.p50 / o.latency.p50);
    if (s.deliveredPerS > 0) delivered.push(o.deliveredPerS / s.deliveredPerS);
  }
  const ratio = spreadOf(p99);
  const ratio50 = spreadOf(p50);
  const who = (r: Spread | null) => {
    const side = r ? aheadOf(r) : null;
    return side === null ? null : side === 'baseline' ? 'socketio' : side;
  };
  return {
    ...key,
    ours: contenderStep(ours),
    socketio: contenderStep(sio),
    ratio_p99: ratio,
    ratio_p50: ratio50,
    ratio_delivered: spreadOf(delivered),
    ahead: who(ratio),
    ahead_p50: who(ratio50),
  };
}

/** A step summary with every spread rounded, for the results file. */
export function stepJson(s: StepSummary) {
  const c = (x: ContenderStep | null) =>
    x && {
      repeats: x.repeats,
      p50_ms: roundSpread(x.p50_ms, 2),
      p99_ms: roundSpread(x.p99_ms, 2),
      delivered_per_s: roundSpread(x.delivered_per_s, 0),
      kept_up: `${x.kept_up}/${x.repeats}`,
      negative_latencies: x.negative_latencies,
      cpu_pct: { clients: roundSpread(x.cpu_pct.clients, 0), servers: roundSpread(x.cpu_pct.servers, 0), redis: roundSpread(x.cpu_pct.redis, 0) },
      cpu_us_per_delivery: {
        clients: roundSpread(x.cpu_us_per_delivery.clients, 1),
        servers: roundSpread(x.cpu_us_per_delivery.servers, 1),
        redis: roundSpread(x.cpu_us_per_delivery.redis, 1),
      },
    };
  return {
    step: s.step === 'paced' ? 'paced' : `${s.rate} msg/s`,
    rate_per_s: s.rate,
    ours: c(s.ours),
    socketio: c(s.socketio),
    ratio_vs_socketio: roundSpread(s.ratio_p99),
    ratio_p50: roundSpread(s.ratio_p50),
    ratio_delivered: roundSpread(s.ratio_delivered),
    ahead: s.ahead,
    ahead_p50: s.ahead_p50,
  };
}
