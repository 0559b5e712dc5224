/** Argument helpers shared by the benches. */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A bad command line: the cli prints the message and the usage, and exits 1. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A whole number >= `min` from a flag value; `fallback` when the flag is absent. */
export function intFlag(name: string, value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be a whole number >= ${min}, got ${JSON.stringify(value)}`);
  return n;
}

/** A number > 0 from a flag value. */
export function numberFlag(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a number > 0, got ${JSON.stringify(value)}`);
  return n;
}

/** A comma-separated list whose items must be among `allowed` (in the order given, deduplicated). */
export function listFlag<T extends string>(
  name: string,
  value: string | undefined,
  allowed: readonly T[],
): T[] {
  if (value === undefined) return [...allowed];
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = items.filter((s) => !(allowed as readonly string[]).includes(s));
  if (bad.length || items.length === 0) {
    throw new UsageError(`--${name} takes a comma-separated list of ${allowed.join(', ')}; got ${JSON.stringify(value)}`);
  }
  return [...new Set(items)] as T[];
}

/** A comma-separated list of whole numbers >= 1. */
export function intListFlag(name: string, value: string | undefined, fallback: readonly number[]): number[] {
  if (value === undefined) return [...fallback];
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new UsageError(`--${name} takes a comma-separated list of whole numbers`);
  return items.map((s) => intFlag(name, s, 1));
}

/**
 * Parses a bench's flags strictly: each of `names` takes a value, each of `switches` none (its
 * getter gives 'true' when present), `-h/--help` is added, no positionals; a bad flag is a
 * UsageError. Returns 'help', or a getter of the flag values.
 */
export function parseFlags(argv: readonly string[], names: readonly string[], switches: readonly string[] = []): 'help' | ((name: string) => string | undefined) {
  const options: NonNullable<ParseArgsConfig['options']> = { help: { type: 'boolean', short: 'h' } };
  for (const name of names) options[name] = { type: 'string' };
  for (const name of switches) options[name] = { type: 'boolean' };
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: [...argv], allowPositionals: false, strict: true, options }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.help) return 'help';
  return (name) => (typeof values[name] === 'string' ? values[name] : values[name] === true ? 'true' : undefined);
}

/** The message of anything thrown. */
export const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
