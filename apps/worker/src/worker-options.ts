import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { AgentbusError, ERROR_CODES } from '@agentbus/schema';

/**
 * How the worker recovers from crashes and failures. Every field has a flag and an environment
 * variable (see WORKER_USAGE); `resolveWorkerTuning` fills what is not given.
 */
export interface WorkerTuning {
  /** Entries read ahead beyond the running handlers. Default = concurrency (`--prefetch`, `WORKER_PREFETCH`). */
  prefetch: number;
  /**
   * Redis unreachable at start: give up after this long (ms) and exit 1. Default 0: keep retrying,
   * not ready meanwhile (`--start-deadline`, `WORKER_START_DEADLINE`).
   */
  startDeadlineMs: number;
  /**
   * A dead consumer's entries are taken over once idle this long (ms): the bound on recovery after
   * a crash, not on handler time (live consumers renew their leases). Default 15000
   * (`--claim-idle`, `WORKER_CLAIM_IDLE`).
   */
  claimIdleMs: number;
  /** How often each consumer looks for such entries (ms). Default 5000 (`--claim-interval`, `WORKER_CLAIM_INTERVAL`). */
  claimIntervalMs: number;
  /** Lease renewal on held entries (ms); 0 = no leases. Default claimIdleMs / 3 (`--lease-renew`, `WORKER_LEASE_RENEW`). */
  leaseRenewMs: number;
  /** A handler still running after this long fails with TIMEOUT (ms); 0 = none. Default 0 (`--handler-timeout`, `WORKER_HANDLER_TIMEOUT`). */
  handlerTimeoutMs: number;
  /**
   * Consumers idle this long with nothing pending (dead workers, once their entries were
   * reclaimed) are removed from the group (ms); 0 = never. Default 4 x claimIdleMs
   * (`--reap-idle`, `WORKER_REAP_IDLE`).
   */
  reapIdleMs: number;
  /** An entry delivered more often than this (it keeps killing its worker) is dead-lettered as poison. Default 5 (`--max-deliveries`, `WORKER_MAX_DELIVERIES`). */
  maxDeliveries: number;
  /** Wait before each retry of a failed handler (ms); the last repeats. Default 5 s, 15 s, 60 s (`--retry-delays`, `WORKER_RETRY_DELAYS`). */
  retryDelaysMs: readonly number[];
  /** Attempts in all, the first included; then the dead-letter stream. Default retryDelaysMs.length + 1 (`--max-attempts`, `WORKER_MAX_ATTEMPTS`). */
  maxAttempts: number;
}

/** What a worker runs; from flags, else the environment (and a .env file). */
export interface WorkerOptions extends WorkerTuning {
  topic: string;
  group: string;
  /**
   * Unique in the group; keep it stable across restarts so a restarted worker handles its own
   * pending entries at once. Default `WORKER_CONSUMER`, else `REDIS_CONSUMER`, else `HOSTNAME`
   * inside Kubernetes (the pod name), else host-pid.
   */
  consumer?: string;
  /** Path of the handler module: it exports `async handle(envelope, ctx)`. */
  handler: string;
  /** Handlers running at once. Default 8. */
  concurrency: number;
  /** Port of /health and /metrics; 0 = any free port. Default 9464 (`WORKER_PORT`). */
  port: number;
  /** Host of /health and /metrics. Default 127.0.0.1. */
  host: string;
  /** On SIGTERM/SIGINT, in-flight handlers get this long to finish (ms). Default 30000. */
  stopDeadlineMs: number;
}

/** Every default of the worker, in one place; derived ones are fractions or multiples of claimIdleMs. */
export const DEFAULT_WORKER_OPTIONS = {
  concurrency: 8,
  port: 9464,
  host: '127.0.0.1',
  stopDeadlineMs: 30_000,
  startDeadlineMs: 0,
  claimIdleMs: 15_000,
  claimIntervalMs: 5_000,
  /** leaseRenewMs when not given: this fraction of claimIdleMs. */
  leaseRenewFraction: 1 / 3,
  handlerTimeoutMs: 0,
  /** reapIdleMs when not given: this many times claimIdleMs. */
  reapIdleFactor: 4,
  maxDeliveries: 5,
  retryDelaysMs: [5_000, 15_000, 60_000],
} as const;

export const WORKER_USAGE = `usage: agentbus-worker --topic T --group G --handler ./handler.mjs [options]

Consumes topic T as consumer C of group G, running the handler module's exported
\`async handle(envelope, ctx)\` for each message: acked when it resolves, retried with backoff
when it throws, dead-lettered after the last attempt. SIGTERM/SIGINT stop it gracefully.
Logs are JSON lines on stdout. Durations take ms, s, m or h (a bare number is ms).

flag                 env                     default
--topic T            WORKER_TOPIC            required
--group G            WORKER_GROUP            required
--handler FILE       WORKER_HANDLER          required
--consumer C         WORKER_CONSUMER         REDIS_CONSUMER, else HOSTNAME in Kubernetes, else host-pid-n
--concurrency N      WORKER_CONCURRENCY      8
--prefetch N         WORKER_PREFETCH         = concurrency
--port P             WORKER_PORT             9464 (/health, /health/ready, /metrics; 0 = any free port)
--host H             WORKER_HOST             127.0.0.1
--deadline D         WORKER_DEADLINE         30s   in-flight handlers get this long on SIGTERM/SIGINT
--start-deadline D   WORKER_START_DEADLINE   0     Redis unreachable at start: exit 1 after D (0 = keep retrying)
--claim-idle D       WORKER_CLAIM_IDLE       15s   a dead worker's entries are taken over once idle D
--claim-interval D   WORKER_CLAIM_INTERVAL   5s    how often to look for them
--lease-renew D      WORKER_LEASE_RENEW      claim-idle / 3 (0 = no leases)
--handler-timeout D  WORKER_HANDLER_TIMEOUT  0     (none) a handler running longer fails with TIMEOUT
--reap-idle D        WORKER_REAP_IDLE        4 x claim-idle; dead workers' names leave the group (0 = never)
--max-deliveries N   WORKER_MAX_DELIVERIES   5     an entry delivered more often is dead-lettered as poison
--retry-delays LIST  WORKER_RETRY_DELAYS     5s,15s,60s  wait before each retry (the last repeats)
--max-attempts N     WORKER_MAX_ATTEMPTS     retry delays + 1

environment (or a .env file in the working directory):
  REDIS_URL         redis:// or rediss:// URL; unset: the in-memory backend (one process)
  REDIS_NAMESPACE   key namespace (default agentbus)
  QUEUE_BACKEND     redis | memory`;

/** `500ms`, `30s`, `2m`, `1h` or a bare number of ms; undefined when it is none of these. */
export function parseDurationMs(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/i.exec(text.trim());
  if (!m) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 'ms').toLowerCase() as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * unit);
}

const DURATION_RULE = 'a duration such as 500ms, 30s, 2m or 1h (a bare number is ms)';

function integer(min: number, max?: number) {
  const rule = max === undefined ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
  return z
    .string()
    .trim()
    .regex(/^-?\d+$/, rule)
    .transform(Number)
    .refine((n) => n >= min && (max === undefined || n <= max), rule);
}

function duration(min: number) {
  return z
    .string()
    .transform((s, ctx) => parseDurationMs(s) ?? (ctx.addIssue({ code: 'custom', message: DURATION_RULE }), z.NEVER))
    .refine((ms) => ms >= min, `at least ${min} ms`);
}

const durationList = z
  .string()
  .transform((s, ctx) => {
    const parts = s.split(',').map((p) => parseDurationMs(p));
    if (parts.some((p) => p === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'a comma-separated list of durations such as 5s,15s,60s' });
      return z.NEVER;
    }
    return parts as number[];
  });

/** Each setting: its flag, the environment variables read in order when the flag is absent, and its rule. */
const SETTINGS = {
  topic: { flag: 'topic', env: ['WORKER_TOPIC'], schema: z.string() },
  group: { flag: 'group', env: ['WORKER_GROUP'], schema: z.string() },
  handler: { flag: 'handler', env: ['WORKER_HANDLER'], schema: z.string() },
  consumer: { flag: 'consumer', env: ['WORKER_CONSUMER', 'REDIS_CONSUMER'], schema: z.string().min(1, 'a name') },
  concurrency: { flag: 'concurrency', env: ['WORKER_CONCURRENCY'], schema: integer(1, 10_000) },
  prefetch: { flag: 'prefetch', env: ['WORKER_PREFETCH'], schema: integer(0) },
  port: { flag: 'port', env: ['WORKER_PORT'], schema: integer(0, 65_535) },
  host: { flag: 'host', env: ['WORKER_HOST'], schema: z.string().min(1, 'a host name or address') },
  stopDeadlineMs: { flag: 'deadline', env: ['WORKER_DEADLINE'], schema: duration(0) },
  startDeadlineMs: { flag: 'start-deadline', env: ['WORKER_START_DEADLINE'], schema: duration(0) },
  claimIdleMs: { flag: 'claim-idle', env: ['WORKER_CLAIM_IDLE'], schema: duration(1) },
  claimIntervalMs: { flag: 'claim-interval', env: ['WORKER_CLAIM_INTERVAL'], schema: duration(1) },
  leaseRenewMs: { flag: 'lease-renew', env: ['WORKER_LEASE_RENEW'], schema: duration(0) },
  handlerTimeoutMs: { flag: 'handler-timeout', env: ['WORKER_HANDLER_TIMEOUT'], schema: duration(0) },
  reapIdleMs: { flag: 'reap-idle', env: ['WORKER_REAP_IDLE'], schema: duration(0) },
  maxDeliveries: { flag: 'max-deliveries', env: ['WORKER_MAX_DELIVERIES'], schema: integer(1) },
  retryDelaysMs: { flag: 'retry-delays', env: ['WORKER_RETRY_DELAYS'], schema: durationList },
  maxAttempts: { flag: 'max-attempts', env: ['WORKER_MAX_ATTEMPTS'], schema: integer(1) },
} as const;

type SettingName = keyof typeof SETTINGS;
type Parsed = { [K in SettingName]?: z.output<(typeof SETTINGS)[K]['schema']> };
const REQUIRED = ['topic', 'group', 'handler'] as const;

/** Fills the tuning not given, from the defaults and what was given (claimIdleMs, concurrency). */
export function resolveWorkerTuning(given: Partial<WorkerTuning> & { concurrency: number }): WorkerTuning {
  const d = DEFAULT_WORKER_OPTIONS;
  const claimIdleMs = given.claimIdleMs ?? d.claimIdleMs;
  const retryDelaysMs = given.retryDelaysMs ?? d.retryDelaysMs;
  return {
    prefetch: given.prefetch ?? given.concurrency,
    startDeadlineMs: given.startDeadlineMs ?? d.startDeadlineMs,
    claimIdleMs,
    claimIntervalMs: given.claimIntervalMs ?? d.claimIntervalMs,
    leaseRenewMs: given.leaseRenewMs ?? Math.floor(claimIdleMs * d.leaseRenewFraction),
    handlerTimeoutMs: given.handlerTimeoutMs ?? d.handlerTimeoutMs,
    reapIdleMs: given.reapIdleMs ?? claimIdleMs * d.reapIdleFactor,
    maxDeliveries: given.maxDeliveries ?? d.maxDeliveries,
    retryDelaysMs: [...retryDelaysMs],
    maxAttempts: given.maxAttempts ?? retryDelaysMs.length + 1,
  };
}

/** Loads `.env` from `dir` into the environment (variables already set win), when there is one. */
export function loadDotEnv(dir: string = process.cwd()): void {
  const file = `${dir}/.env`;
  if (existsSync(file)) process.loadEnvFile(file);
}

function invalid(message: string): AgentbusError {
  return new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, `${message}; see --help`);
}

function readFlags(argv: readonly string[]): Record<string, string | boolean | undefined> {
  const options: Record<string, { type: 'string' } | { type: 'boolean'; short: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const s of Object.values(SETTINGS)) options[s.flag] = { type: 'string' };
  try {
    return parseArgs({ args: [...argv], options, strict: true }).values;
  } catch (cause) {
    throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, `${(cause as Error).message}; see --help`, { cause });
  }
}

/** Flags over environment over defaults; a bad value is one AgentbusError naming the flag or variable it came from. */
export function parseWorkerOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): WorkerOptions | 'help' {
  const flags = readFlags(argv);
  if (flags.help) return 'help';
  const parsed: Parsed = {};
  const sources: Partial<Record<SettingName, string>> = {};
  for (const name of Object.keys(SETTINGS) as SettingName[]) {
    const s = SETTINGS[name];
    const flag = flags[s.flag];
    const fromEnv = s.env.find((v) => env[v] !== undefined && env[v] !== '');
    const source = typeof flag === 'string' ? `--${s.flag}` : fromEnv;
    if (source === undefined) continue;
    const raw = typeof flag === 'string' ? flag : env[fromEnv!]!;
    const r = s.schema.safeParse(raw);
    if (!r.success) throw invalid(`${source} must be ${r.error.issues[0]!.message}, got ${JSON.stringify(raw)}`);
    (parsed as Record<string, unknown>)[name] = r.data;
    sources[name] = source;
  }
  for (const name of REQUIRED) {
    if (!parsed[name]) throw invalid(`--${name} is required (--${name} or ${SETTINGS[name].env[0]})`);
  }
  // A pod's name is unique and survives a container restart; outside a pod HOSTNAME is the
  // machine's, which two workers on one machine would share.
  const consumer = parsed.consumer ?? (env.KUBERNETES_SERVICE_HOST && env.HOSTNAME ? env.HOSTNAME : undefined);
  const concurrency = parsed.concurrency ?? DEFAULT_WORKER_OPTIONS.concurrency;
  const tuning = resolveWorkerTuning({ ...parsed, concurrency });
  if (tuning.leaseRenewMs > 0 && tuning.leaseRenewMs >= tuning.claimIdleMs) {
    const renew = sources.leaseRenewMs ?? '--lease-renew';
    const idle = sources.claimIdleMs ?? '--claim-idle';
    throw invalid(`${renew} (${tuning.leaseRenewMs} ms) must be below ${idle} (${tuning.claimIdleMs} ms): a live consumer would lose entries it still holds`);
  }
  return {
    topic: parsed.topic!,
    group: parsed.group!,
    consumer,
    handler: parsed.handler!,
    concurrency,
    port: parsed.port ?? DEFAULT_WORKER_OPTIONS.port,
    host: parsed.host ?? DEFAULT_WORKER_OPTIONS.host,
    stopDeadlineMs: parsed.stopDeadlineMs ?? DEFAULT_WORKER_OPTIONS.stopDeadlineMs,
    ...tuning,
  };
}
