import { DEFAULT_NAMESPACE, type EnvelopeCodecOptions, type Priority } from '@agentbus/schema';
import type { ConsumeOptions, RetentionPolicy, TopicOptions, TransportHooks } from './types';

export interface TransportOptions {
  /** Key namespace. Default `REDIS_NAMESPACE`, else `agentbus`. May be '' for bare keys. */
  namespace?: string;
  /** Options per topic (partitions, retention, budget, dedupe); `defineTopic` adds more later. */
  topics?: Record<string, TopicOptions>;
  /**
   * Options of topics not listed in `topics`. Default: retention 24 h, no budget, publishes
   * deduped by envelope id for 2 min (`DEFAULT_DEDUPE_WINDOW_MS`).
   */
  topicDefaults?: TopicOptions;
  /** Envelope size limit and payload schemas. Default 1 MiB, no payload schemas. */
  codec?: EnvelopeCodecOptions;
  /** Metrics and tracing hooks. Default none. */
  hooks?: TransportHooks;
  /**
   * Retention runs from a timer, once per this many ms on each topic this process published to or
   * consumed (idle topics too), by one process at a time: the first to take the topic's lock for
   * the interval trims it. Default 10 s; 0 = only on `trim()`.
   */
  trimIntervalMs?: number;
  /** Suggested wait given with BACKPRESSURE (ms). Default 1000. */
  backpressureRetryAfterMs?: number;
}

export const DEFAULT_RETENTION: Required<Pick<RetentionPolicy, 'maxAgeMs'>> = { maxAgeMs: 24 * 60 * 60 * 1000 };

/**
 * How long a publish is deduped by envelope id by default (ms): 2 min, as NATS JetStream's
 * duplicate window. Long enough to cover ioredis re-sending an XADD after a reconnect, a caller
 * retrying an INDETERMINATE publish, and a spool draining after an outage; each record costs about
 * 240 bytes of Redis memory while it lives (see the README).
 */
export const DEFAULT_DEDUPE_WINDOW_MS = 120_000;

export const DEFAULT_LANE_WEIGHTS: Readonly<Record<Priority, number>> = { urgent: 8, high: 4, normal: 2, low: 1 };

export const DEFAULT_TRANSPORT_OPTIONS = {
  namespace: DEFAULT_NAMESPACE,
  topicDefaults: { partitions: 1, retention: DEFAULT_RETENTION, dedupeWindowMs: DEFAULT_DEDUPE_WINDOW_MS } satisfies TopicOptions,
  trimIntervalMs: 10_000,
  backpressureRetryAfterMs: 1_000,
} as const;

export const DEFAULT_CONSUME_OPTIONS = {
  concurrency: 16,
  blockMs: 1_000,
  claimIdleMs: 30_000,
  claimIntervalMs: 10_000,
  /** Lease renewal when not given: this fraction of claimIdleMs. */
  leaseRenewFraction: 1 / 3,
  reapIdleMs: 60 * 60 * 1000,
  lanes: DEFAULT_LANE_WEIGHTS,
  startId: '0',
  /** Partitioned topics: consumers heartbeat this often to share partitions. */
  membershipIntervalMs: 2_000,
} as const satisfies Partial<ConsumeOptions> & { membershipIntervalMs: number; leaseRenewFraction: number };

/** The namespace from options, else REDIS_NAMESPACE, else the default. */
export function resolveNamespace(namespace: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return namespace ?? env.REDIS_NAMESPACE ?? DEFAULT_TRANSPORT_OPTIONS.namespace;
}
