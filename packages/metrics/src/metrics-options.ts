import { AgentbusError, ERROR_CODES } from '@agentbus/schema';
import { Registry } from 'prom-client';
import { z } from 'zod';

export interface MetricsOptions {
  /**
   * Where the metrics are registered; serve `registry.metrics()` at /metrics. Default: a new
   * Registry of its own (not prom-client's global one), so two instances in one process (tests,
   * several buses) never collide.
   */
  registry?: Registry;
  /** Labels put on every series, e.g. `{ service: 'worker' }`. Default none. */
  defaultLabels?: Record<string, string>;
  /** Also register prom-client's process metrics (CPU, memory, event-loop lag, GC). Default false. */
  processMetrics?: boolean;
  /**
   * `transport.stats()` results are reused for this long (ms), so frequent or concurrent scrapes
   * cost Redis one XINFO round per topic per period. Default 4000 (a 5 s scrape reads fresh data).
   */
  statsCacheMs?: number;
  /**
   * A scrape waits at most this long (ms) for fresh stats; after that it serves the last ones and
   * counts `agentbus_metrics_collect_errors_total`. Default 2000.
   */
  statsTimeoutMs?: number;
  /** Buckets (s) of agentbus_publish_duration_seconds. Default 0.1 ms .. 2.5 s. */
  publishBuckets?: readonly number[];
  /** Buckets (s) of agentbus_handler_duration_seconds. Default 0.5 ms .. 30 s. */
  handlerBuckets?: readonly number[];
  /** Buckets (s) of agentbus_end_to_end_latency_seconds; up to 5 min, so retry backoff shows. Default 1 ms .. 300 s. */
  endToEndBuckets?: readonly number[];
  /** Buckets (s) of agentbus_bridge_relay_latency_seconds. Default 1 ms .. 60 s. */
  relayBuckets?: readonly number[];
}

/** The defaults of every MetricsOptions field but `registry` and `defaultLabels`. */
export const DEFAULT_METRICS_OPTIONS = {
  processMetrics: false,
  statsCacheMs: 4_000,
  statsTimeoutMs: 2_000,
  publishBuckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  handlerBuckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  endToEndBuckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
  relayBuckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
} as const satisfies Omit<MetricsOptions, 'registry' | 'defaultLabels'>;

export type ResolvedMetricsOptions = Required<Omit<MetricsOptions, 'defaultLabels'>> & {
  defaultLabels: Record<string, string>;
};

const buckets = z
  .array(z.number().positive().finite())
  .min(1)
  .refine((b) => b.every((x, i) => i === 0 || x > b[i - 1]!), 'must be strictly increasing');

const optionsSchema = z.strictObject({
  registry: z.instanceof(Registry).optional(),
  defaultLabels: z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'must be a Prometheus label name'), z.string()).optional(),
  processMetrics: z.boolean().optional(),
  statsCacheMs: z.number().int().nonnegative().optional(),
  statsTimeoutMs: z.number().int().positive().optional(),
  publishBuckets: buckets.optional(),
  handlerBuckets: buckets.optional(),
  endToEndBuckets: buckets.optional(),
  relayBuckets: buckets.optional(),
});

/** Checks options (a clear INVALID_ARGUMENT naming the field) and fills in the defaults. */
export function resolveMetricsOptions(options: MetricsOptions = {}): ResolvedMetricsOptions {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new AgentbusError(
      ERROR_CODES.INVALID_ARGUMENT,
      `createMetrics: option ${issue.path.join('.') || '(root)'} ${issue.message}`,
    );
  }
  // An option given as undefined means "the default", not "undefined".
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as MetricsOptions;
  return {
    ...DEFAULT_METRICS_OPTIONS,
    ...given,
    registry: options.registry ?? new Registry(),
    defaultLabels: options.defaultLabels ?? {},
  };
}
