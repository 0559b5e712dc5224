import { parseArgs, type ParseArgsConfig } from 'node:util';
import { z } from 'zod';
import { UsageError } from './cli-error';

type OptionSpec = NonNullable<ParseArgsConfig['options']>;
export type ArgValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

/** Flags every command takes: where the bus is, and how to print. */
export const GLOBAL_OPTIONS = {
  redis: { type: 'string' },
  namespace: { type: 'string' },
  broker: { type: 'string' },
  token: { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpec;

export const GLOBAL_HELP = `connection (every command):
  --redis URL       Redis to talk to directly (default REDIS_URL, else redis://127.0.0.1:6379)
  --namespace NS    key namespace (default REDIS_NAMESPACE, else agentbus)
  --broker URL      go through a broker's HTTP API instead (default AGENTBUS_BROKER_URL)
  --token TOKEN     the broker bearer token (default AGENTBUS_TOKEN)
  --timeout MS      connect / request timeout (default 5000)
  --json            machine-readable output (one JSON document, or one per line for streams)
  -h, --help        this help`;

const envSchema = z.object({
  REDIS_URL: z.string().optional(),
  REDIS_NAMESPACE: z.string().optional(),
  AGENTBUS_BROKER_URL: z.string().optional(),
  AGENTBUS_TOKEN: z.string().optional(),
  AGENTBUS_AGENT: z.string().optional(),
  AGENTBUS_TIMEOUT_MS: z.string().optional(),
});

/** Where the bus is: flags over environment over defaults. */
export interface GlobalFlags {
  redisUrl: string | undefined;
  namespace: string | undefined;
  brokerUrl: string | undefined;
  token: string | undefined;
  /** AGENTBUS_AGENT: the agent the CLI acts as when talking to Redis directly. */
  agent: string | undefined;
  timeoutMs: number;
  json: boolean;
}

export const DEFAULT_CLI_TIMEOUT_MS = 5_000;

export interface ParsedArgs {
  values: ArgValues;
  positionals: string[];
  global: GlobalFlags;
}

/** Parses argv with the command's options plus the global ones; a bad flag is a UsageError naming the command's --help. */
export function parseCommandArgs(command: string, argv: readonly string[], options: OptionSpec, env: NodeJS.ProcessEnv): ParsedArgs {
  let parsed: { values: ArgValues; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options: { ...GLOBAL_OPTIONS, ...options }, allowPositionals: true, strict: true }) as { values: ArgValues; positionals: string[] };
  } catch (cause) {
    throw new UsageError(`${(cause as Error).message.split('\n')[0]}; see agentbus ${command} --help`);
  }
  const e = envSchema.parse(env);
  const v = parsed.values;
  const timeout = (v.timeout as string | undefined) ?? e.AGENTBUS_TIMEOUT_MS;
  const timeoutMs = timeout === undefined ? DEFAULT_CLI_TIMEOUT_MS : intFlag('timeout', timeout, 1);
  const brokerUrl = (v.broker as string | undefined) ?? (e.AGENTBUS_BROKER_URL || undefined);
  if (brokerUrl !== undefined && !z.url({ protocol: /^https?$/ }).safeParse(brokerUrl).success) {
    throw new UsageError(`--broker ${JSON.stringify(brokerUrl)} is not an http(s) URL`);
  }
  return {
    values: v,
    positionals: parsed.positionals,
    global: {
      redisUrl: (v.redis as string | undefined) ?? (e.REDIS_URL || undefined),
      namespace: (v.namespace as string | undefined) ?? e.REDIS_NAMESPACE,
      brokerUrl,
      token: (v.token as string | undefined) ?? (e.AGENTBUS_TOKEN || undefined),
      agent: e.AGENTBUS_AGENT || undefined,
      timeoutMs,
      json: v.json === true,
    },
  };
}

/** A whole-number flag of at least `min`; else a UsageError naming it. */
export function intFlag(name: string, value: string, min = 0): number {
  const r = z.coerce.number().int().min(min).safeParse(value);
  if (!r.success || value.trim() === '') throw new UsageError(`--${name} must be a whole number >= ${min}, got ${JSON.stringify(value)}`);
  return r.data;
}

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `500ms`, `30s`, `15m`, `24h`, `7d`, or plain milliseconds. */
export function durationFlag(name: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(value.trim());
  if (!m) throw new UsageError(`--${name} must be a duration like 500ms, 30s, 15m, 24h, 7d (or milliseconds), got ${JSON.stringify(value)}`);
  return Math.round(Number(m[1]) * UNITS[m[2] ?? 'ms']!);
}

/** The one positional a command needs; a UsageError naming it when it is missing. */
export function positional(args: ParsedArgs, index: number, name: string, command: string): string {
  const v = args.positionals[index];
  if (v === undefined || v === '') throw new UsageError(`${name} is required; see agentbus ${command} --help`);
  return v;
}

/** A string flag's value, or undefined. */
export function str(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A repeatable string flag's values. */
export function strs(args: ParsedArgs, name: string): string[] {
  const v = args.values[name];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];
}
