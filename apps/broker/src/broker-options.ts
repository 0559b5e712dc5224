import { z } from 'zod';
import { AgentbusError, ERROR_CODES } from '@agentbus/schema';
import type { Metrics } from '@agentbus/metrics';
import type { CircuitBreaker, CircuitBreakerOptions, Reliability, ReliabilityOptions, TokenBucketOptions } from '@agentbus/reliability';
import type { SwarmOptions } from '@agentbus/swarm';
import type { Transport } from '@agentbus/transport';
import type { AuthConfig } from './auth/auth-config';

/** Where the broker's JSON log lines go. */
export interface BrokerLogOptions {
  /** pino level. Default `LOG_LEVEL`, else `info`. */
  level?: string;
  /** Default stdout. */
  stream?: { write(line: string): void };
}

export interface BrokerOptions {
  /**
   * The bus. Default: `createTransport()` from the environment (REDIS_URL, QUEUE_BACKEND,
   * REDIS_NAMESPACE; the in-memory backend when REDIS_URL is unset) with the broker's metric
   * hooks, closed by `close()`. A given transport is left open (its owner closes it).
   */
  transport?: Transport;
  /**
   * Bearer tokens, or `false` to run without auth (the embedded dev mode; every request may do
   * everything, and the broker says so loudly at start). Default: from the environment
   * (BROKER_TOKENS_FILE, BROKER_TOKENS, BROKER_AUTH=off); no tokens there is an error.
   */
  auth?: AuthConfig | false;
  /** Largest request body in bytes; a larger one gets 413. Default 1 MiB (the envelope limit). */
  bodyLimitBytes?: number;
  /**
   * Deepest nesting of arrays and objects in a JSON body (the outermost value is level 1); a
   * deeper one gets 400 before it is parsed. Default 64; at most 512, which keeps stored values
   * under the nesting Redis's Lua JSON decoder accepts (1000).
   */
  maxJsonDepth?: number;
  /**
   * Requests per token (token buckets; 429 + Retry-After past them): one bucket for publishes,
   * one for every other authenticated request, each with these settings (a token's own
   * `rateLimit` overrides them); false = no limit. Default capacity 200, 100/s.
   */
  rateLimit?: TokenBucketOptions | false;
  /**
   * How long a request waits on Redis before it answers 503: for a first connection, and, while a
   * command has not answered, between health probes (a probe that fails ends the request).
   * With Redis disconnected the answer is 503 at once. Default 2000 (the transport's
   * healthTimeoutMs default).
   */
  backendTimeoutMs?: number;
  /** The publish circuit breaker: options, or a breaker shared with other transports. Default: reliability's defaults. */
  breaker?: CircuitBreakerOptions | CircuitBreaker;
  /** Options of the swarm served under /v1/swarm. */
  swarm?: SwarmOptions;
  /**
   * Dead letters and replay: options, or a Reliability to share (on the memory backend dead
   * letters live in the Reliability object, so a worker's are visible only through its own).
   */
  reliability?: ReliabilityOptions | Reliability;
  /** Default: a registry of the broker's own (`createMetrics()`), closed by `close()`. */
  metrics?: Metrics;
  /** Topics reported in /metrics and /health/comprehensive from the start; others once served. */
  topics?: readonly string[];
  /** Topics tracked for /metrics at most (each is a label value). Default 200. */
  maxTrackedTopics?: number;
  /** Public keys read from swarm rosters are reused this long (ms). Default 1000. */
  keyCacheMs?: number;
  /** JSON logs (pino): level and stream; `false` for none. Default: `LOG_LEVEL` (info) to stdout. */
  log?: BrokerLogOptions | false;
}

export const DEFAULT_BROKER_OPTIONS = {
  bodyLimitBytes: 1_048_576,
  maxJsonDepth: 64,
  backendTimeoutMs: 2_000,
  rateLimit: { capacity: 200, refillPerSecond: 100 },
  maxTrackedTopics: 200,
  keyCacheMs: 1_000,
  logLevel: 'info',
} as const;

const scalars = z.object({
  bodyLimitBytes: z.number().int().min(1_024).max(1_073_741_824).optional(),
  maxJsonDepth: z.number().int().min(2).max(512).optional(),
  backendTimeoutMs: z.number().int().min(10).max(600_000).optional(),
  maxTrackedTopics: z.number().int().min(0).max(100_000).optional(),
  keyCacheMs: z.number().int().min(0).optional(),
  topics: z.array(z.string()).optional(),
  rateLimit: z
    .union([z.literal(false), z.object({ capacity: z.number().int().min(1).optional(), refillPerSecond: z.number().positive().optional() })])
    .optional(),
});

/** Checks the plain options (the objects are checked by the packages they go to). */
export function checkBrokerOptions(options: BrokerOptions): void {
  const r = scalars.safeParse(options);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, `invalid broker option ${i.path.map(String).join('.')}: ${i.message}`);
  }
}
