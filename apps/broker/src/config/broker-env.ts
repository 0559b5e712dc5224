import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { AgentbusError, ERROR_CODES } from '@agentbus/schema';
import type { BrokerOptions } from '../broker-options';
import { topicNameSchema } from '../schemas/names';

/** What `agentbus-broker` runs: where it listens and the broker's options. */
export interface BrokerServerConfig {
  port: number;
  host: string;
  /** Auth is not here: createBroker reads it from the environment (authConfigFromEnv). */
  options: Omit<BrokerOptions, 'auth'>;
}

export const DEFAULT_BROKER_SERVER_CONFIG = { port: 8080, host: '127.0.0.1' } as const;

export const BROKER_USAGE = `usage: agentbus-broker [--port P] [--host H]

The agentbus broker: the bus over HTTP (see /docs), with bearer-token auth.

environment (or a .env file in the working directory):
  BROKER_PORT, BROKER_HOST   where to listen (default 8080 on 127.0.0.1; --port / --host win)
  BROKER_TOKENS_FILE         JSON token file (see the README: auth); re-read on SIGHUP
  BROKER_TOKENS              the same JSON inline
  BROKER_AUTH=off            no auth (dev only; every request may do everything)
  BROKER_REQUIRE_SIGNATURES  swarm ids whose agents must sign envelopes (comma-separated)
  BROKER_BODY_LIMIT          largest request body in bytes (default 1048576)
  BROKER_MAX_JSON_DEPTH      deepest nesting of a JSON body (default 64)
  BROKER_RATE_CAPACITY, BROKER_RATE_REFILL   requests per token, publishes and the rest each:
                             burst and per second (default 200 and 100; capacity 0: no limit)
  BROKER_BACKEND_TIMEOUT_MS  how long a request waits on Redis before 503 (default 2000)
  BROKER_TOPICS              topics reported in /metrics from the start (comma-separated)
  LOG_LEVEL                  pino level (default info)
  REDIS_URL, REDIS_NAMESPACE, QUEUE_BACKEND   the bus (unset REDIS_URL: in-memory, one process)`;

const intText = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const envSchema = z.object({
  BROKER_PORT: intText(0, 65_535).optional(),
  BROKER_HOST: z.string().min(1).optional(),
  BROKER_BODY_LIMIT: intText(1_024, 1_073_741_824).optional(),
  BROKER_MAX_JSON_DEPTH: intText(2, 512).optional(),
  BROKER_BACKEND_TIMEOUT_MS: intText(10, 600_000).optional(),
  BROKER_RATE_CAPACITY: intText(0, 1_000_000).optional(),
  BROKER_RATE_REFILL: z.coerce.number().positive().max(1_000_000).optional(),
  BROKER_TOPICS: z
    .string()
    .transform((s) => s.split(',').map((t) => t.trim()).filter(Boolean))
    .pipe(z.array(topicNameSchema))
    .optional(),
});

/** Loads `.env` from `dir` into the environment (variables already set win), when there is one. */
export function loadDotEnv(dir: string = process.cwd()): void {
  const file = `${dir}/.env`;
  if (existsSync(file)) process.loadEnvFile(file);
}

function invalid(message: string): AgentbusError {
  return new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, message);
}

/** Flags over environment over defaults; a bad value is one INVALID_ARGUMENT naming the flag or variable. */
export function brokerServerConfig(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): BrokerServerConfig | 'help' {
  let values: { port?: string; host?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args: [...argv], options: { port: { type: 'string' }, host: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (cause) {
    throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, `${(cause as Error).message}; see --help`, { cause });
  }
  if (values.help) return 'help';
  const e = envSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!e.success) {
    const i = e.error.issues[0]!;
    throw invalid(`${i.path.map(String).join('.')} ${i.message}`);
  }
  const port = values.port === undefined ? (e.data.BROKER_PORT ?? DEFAULT_BROKER_SERVER_CONFIG.port) : intText(0, 65_535).safeParse(values.port);
  if (typeof port !== 'number' && !port.success) throw invalid(`--port must be 0-65535, got ${JSON.stringify(values.port)}`);
  const capacity = e.data.BROKER_RATE_CAPACITY;
  const options: BrokerServerConfig['options'] = {
    ...(e.data.BROKER_BODY_LIMIT === undefined ? {} : { bodyLimitBytes: e.data.BROKER_BODY_LIMIT }),
    ...(e.data.BROKER_MAX_JSON_DEPTH === undefined ? {} : { maxJsonDepth: e.data.BROKER_MAX_JSON_DEPTH }),
    ...(e.data.BROKER_BACKEND_TIMEOUT_MS === undefined ? {} : { backendTimeoutMs: e.data.BROKER_BACKEND_TIMEOUT_MS }),
    ...(capacity === 0
      ? { rateLimit: false as const }
      : capacity !== undefined || e.data.BROKER_RATE_REFILL !== undefined
        ? { rateLimit: { ...(capacity === undefined ? {} : { capacity }), ...(e.data.BROKER_RATE_REFILL === undefined ? {} : { refillPerSecond: e.data.BROKER_RATE_REFILL }) } }
        : {}),
    ...(e.data.BROKER_TOPICS === undefined ? {} : { topics: e.data.BROKER_TOPICS }),
  };
  return {
    port: typeof port === 'number' ? port : port.data,
    host: values.host ?? e.data.BROKER_HOST ?? DEFAULT_BROKER_SERVER_CONFIG.host,
    options,
  };
}
