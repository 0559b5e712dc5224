import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { AgentbusError, ERROR_CODES } from '@agentbus/schema';

/** What a worker runs; from flags, else the environment (and a .env file). */
export interface WorkerOptions {
  topic: string;
  group: string;
  /** Default `REDIS_CONSUMER`, else host-pid. */
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

export const DEFAULT_WORKER_OPTIONS = {
  concurrency: 8,
  port: 9464,
  host: '127.0.0.1',
  stopDeadlineMs: 30_000,
} as const;

export const WORKER_USAGE = `usage: agentbus-worker --topic T --group G --handler ./handler.mjs [--consumer C] [--concurrency N] [--port P] [--deadline MS]

Consumes topic T as consumer C of group G, running the handler module's exported
\`async handle(envelope, ctx)\` for each message: acked when it resolves, retried with backoff
when it throws, dead-lettered after the last attempt. SIGTERM/SIGINT stop it gracefully.
/health and /metrics listen on --port (default 9464, 0 = any free port).

environment (or a .env file in the working directory):
  REDIS_URL         redis:// or rediss:// URL; unset: the in-memory backend (one process)
  REDIS_NAMESPACE   key namespace (default agentbus)
  REDIS_CONSUMER    consumer name (default host-pid)
  QUEUE_BACKEND     redis | memory
  WORKER_TOPIC, WORKER_GROUP, WORKER_HANDLER, WORKER_CONCURRENCY, WORKER_PORT: defaults for the flags`;

const schema = z.object({
  topic: z.string().min(1, 'is required (--topic or WORKER_TOPIC)'),
  group: z.string().min(1, 'is required (--group or WORKER_GROUP)'),
  consumer: z.string().min(1).optional(),
  handler: z.string().min(1, 'is required (--handler or WORKER_HANDLER)'),
  concurrency: z.coerce.number().int().min(1).max(10_000),
  port: z.coerce.number().int().min(0).max(65_535),
  host: z.string().min(1),
  stopDeadlineMs: z.coerce.number().int().min(0),
});

/** Loads `.env` from `dir` into the environment (variables already set win), when there is one. */
export function loadDotEnv(dir: string = process.cwd()): void {
  const file = `${dir}/.env`;
  if (existsSync(file)) process.loadEnvFile(file);
}

/** Flags over environment over defaults; a bad value is one AgentbusError naming the flag. */
export function parseWorkerOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): WorkerOptions | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        topic: { type: 'string' },
        group: { type: 'string' },
        consumer: { type: 'string' },
        handler: { type: 'string' },
        concurrency: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        deadline: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (cause) {
    throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, `${(cause as Error).message}; see --help`, { cause });
  }
  if (values.help) return 'help';
  const raw = {
    topic: values.topic ?? env.WORKER_TOPIC ?? '',
    group: values.group ?? env.WORKER_GROUP ?? '',
    consumer: values.consumer ?? env.REDIS_CONSUMER,
    handler: values.handler ?? env.WORKER_HANDLER ?? '',
    concurrency: values.concurrency ?? env.WORKER_CONCURRENCY ?? DEFAULT_WORKER_OPTIONS.concurrency,
    port: values.port ?? env.WORKER_PORT ?? DEFAULT_WORKER_OPTIONS.port,
    host: values.host ?? env.WORKER_HOST ?? DEFAULT_WORKER_OPTIONS.host,
    stopDeadlineMs: values.deadline ?? DEFAULT_WORKER_OPTIONS.stopDeadlineMs,
  };
  const r = schema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const flag = { stopDeadlineMs: 'deadline' }[String(issue.path[0])] ?? String(issue.path[0]);
    throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, `--${flag} ${issue.message}; see --help`);
  }
  const o = r.data;
  return o.consumer === undefined ? { ...o, consumer: undefined } : o;
}
