import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { roundSpread, verdictOf, type Spread, type Verdict } from './spread';
import { round } from './stats';

/**
 * The workspace root (where nx.json lives): three levels above this module, whether it runs from
 * tools/bench/dist/cli.js or from tools/bench/src/*.ts under vitest.
 */
export function workspaceRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
}

/** Where a bench writes its results by default: `bench/results/<name>.json` under the workspace root. */
export function defaultResultPath(name: string): string {
  return path.join(workspaceRoot(), 'bench', 'results', `${name}.json`);
}

export interface MachineInfo {
  cpu_model: string;
  cpus: number;
  total_mem_gb: number;
  platform: string;
  arch: string;
  os_release: string;
  node: string;
  redis: string | null;
  loadavg_1m: number;
}

export function machineInfo(redisVersion: string | null): MachineInfo {
  const cpus = os.cpus();
  return {
    cpu_model: cpus[0]?.model.trim() ?? 'unknown',
    cpus: cpus.length,
    total_mem_gb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    platform: process.platform,
    arch: process.arch,
    os_release: os.release(),
    node: process.version,
    redis: redisVersion,
    loadavg_1m: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
  };
}

/** Writes JSON atomically (temp file + rename), creating the directory. */
export function writeJson(file: string, value: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, file);
}

export type Cell = string | number | null | undefined;

/** Formats a number for a table: thousands separators, fixed decimals; '-' for none. */
export function fmt(value: number | null | undefined, digits = 0): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '-';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A plain-text table: first column left-aligned, the others right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = (c: Cell) => (c === null || c === undefined ? '-' : String(c));
  const all = [header.map(text), ...rows.map((r) => r.map(text))];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  const sep = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(all[0] as string[]), sep, ...all.slice(1).map(line)].join('\n');
}

/**
 * One target of a bench's results: what it asks, the measured value, pass/miss. `pass` is null when
 * not measured, and when the spread straddles the target (`verdict` 'inconclusive').
 */
export interface Target {
  target: string;
  value: number | null;
  pass: boolean | null;
  verdict: Verdict | 'n/a';
  /** The spread the verdict was taken on, when the value is a median of several rounds. */
  spread?: Record<keyof Spread, number> | null;
  /** When the value is only known to lie between two bounds: both (the value is the upper one). */
  bounds?: { lower: number | null; upper: number | null };
}

/**
 * A target on a value known only within [lower, upper]: pass when even the upper bound meets it,
 * miss when even the lower bound does not, inconclusive in between. The value is the upper bound:
 * the figure that cannot flatter.
 */
export function boundedTarget(lower: number | null, upper: number | null, text: string, ok: (v: number) => boolean): Target {
  const known = (v: number | null): v is number => v !== null && Number.isFinite(v);
  const bounds = { lower: known(lower) ? round(lower, 3) : null, upper: known(upper) ? round(upper, 3) : null };
  if (!known(lower) || !known(upper)) return { target: text, value: bounds.upper, pass: null, verdict: 'n/a', bounds };
  const verdict = ok(upper) ? 'pass' : ok(lower) ? 'inconclusive' : 'miss';
  return { target: text, value: bounds.upper, pass: verdict === 'inconclusive' ? null : verdict === 'pass', verdict, bounds };
}

/**
 * A target from one measured value, or from the spread of several (the value is then its median
 * and the verdict is taken on its interquartile range, see `verdictOf`).
 */
export function targetOf(value: number | null, text: string, ok: (v: number) => boolean, spread?: Spread | null): Target {
  if (spread) {
    const verdict = verdictOf(spread, ok);
    return { target: text, value: round(value ?? spread.median, 3), pass: verdict === 'inconclusive' ? null : verdict === 'pass', verdict, spread: roundSpread(spread) };
  }
  if (value === null || !Number.isFinite(value)) return { target: text, value: null, pass: null, verdict: 'n/a' };
  const pass = ok(value);
  return { target: text, value: round(value, 3), pass, verdict: pass ? 'pass' : 'miss' };
}

/** The targets table printed at the end of a bench. */
export function renderTargets(targets: Record<string, Target>): string {
  const rows: Cell[][] = Object.entries(targets).map(([k, t]) => [
    k,
    t.value === null ? '-' : String(t.value),
    t.spread
      ? `IQR ${t.spread.q1}–${t.spread.q3}, range ${t.spread.min}–${t.spread.max}, n=${t.spread.n}`
      : t.bounds
        ? `between ${t.bounds.lower ?? '-'} and ${t.bounds.upper ?? '-'}`
        : '',
    t.target,
    t.verdict === 'n/a' ? 'n/a' : t.verdict === 'pass' ? 'pass' : t.verdict === 'miss' ? 'MISS' : 'INCONCLUSIVE',
  ]);
  return `targets (reported only; a miss never fails the run; inconclusive: the target lies inside the interquartile range of the rounds, or between the bounds)\n${table(['target', 'value', 'spread', 'goal', 'result'], rows)}`;
}
