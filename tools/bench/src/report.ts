import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** One target of a bench's results: what it asks, the measured value, pass/miss (null: not measured). */
export interface Target {
  target: string;
  value: number | null;
  pass: boolean | null;
}
