import type { TransportHooks } from '@agentbus/transport';
import { collectDefaultMetrics, type Registry } from 'prom-client';
import { createBreakerMetrics } from './breaker-metrics';
import type { CircuitBreakerLike } from './breaker-state';
import { METRIC_NAMES } from './metric-names';
import { createMetricSet } from './metric-set';
import { resolveMetricsOptions, type MetricsOptions } from './metrics-options';
import { createReliabilityMetricsHooks, type ReliabilityHooksLike } from './reliability-metrics-hooks';
import { createTopicCollector, type WatchTopicsOptions } from './topic-collector';
import { createTransportMetricsHooks } from './transport-metrics-hooks';

/** What the chat hub reports. */
export interface ChatMetrics {
  connectionOpened(): void;
  connectionClosed(): void;
  /** Sets the open connections outright (e.g. after a restart of the hub's bookkeeping). */
  setConnections(count: number): void;
  /** Participants online as this hub sees them; `kind` is a small fixed set (`human`, `agent`). Default kind `all`. */
  setOnline(count: number, kind?: string): void;
}

/** What the PostgreSQL -> Redis bridge reports. */
export interface BridgeMetrics {
  /** Outbox rows committed and not yet relayed. */
  setBacklog(rows: number): void;
  /** Time from a row's commit to its publish on Redis, ms. */
  observeRelayMs(ms: number): void;
}

export interface Metrics {
  readonly registry: Registry;
  /** The Content-Type to serve `metrics()` with. */
  readonly contentType: string;
  /** The Prometheus text exposition, for GET /metrics. */
  metrics(): Promise<string>;
  /** Pass as `hooks` to `createTransport` / `createRedisTransport`; the same object every call. */
  transportHooks(): TransportHooks;
  /** Pass as `hooks` to `createReliability`; the same object every call. */
  reliabilityHooks(): ReliabilityHooksLike;
  /**
   * Reports lag, pending, consumers, length and dead-letter depth of these topics, read at scrape
   * time (cached `statsCacheMs`). Returns a function that stops.
   */
  watchTopics(options: WatchTopicsOptions): () => void;
  /** Reports a circuit breaker's state under `name` (default `breaker.name`, else `default`). */
  watchBreaker(breaker: CircuitBreakerLike, name?: string): () => void;
  /** Counts operations a rate limiter refused. Default operation `default`, count 1. */
  rateLimited(operation?: string, count?: number): void;
  readonly chat: ChatMetrics;
  readonly bridge: BridgeMetrics;
  /** Stops every watch and removes this package's metrics from the registry. */
  close(): void;
}

/**
 * The Prometheus registry and the standard agentbus metric set. The transport and reliability
 * report through hooks (`transportHooks()`, `reliabilityHooks()`), so only this package touches
 * prom-client and a team that does not create Metrics pays nothing.
 *
 * ```ts
 * const metrics = createMetrics();
 * const bus = createRedisTransport({ hooks: metrics.transportHooks() });
 * const rel = createReliability(bus, { hooks: metrics.reliabilityHooks() });
 * metrics.watchTopics({ topics: ['orders'], stats: bus, deadLetters: rel.deadLetters });
 * ```
 */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const o = resolveMetricsOptions(options);
  const registry = o.registry;
  const set = createMetricSet(o);
  const breakers = createBreakerMetrics(registry);
  const topics = createTopicCollector({
    registry,
    errors: set.collectErrors,
    cacheMs: o.statsCacheMs,
    timeoutMs: o.statsTimeoutMs,
  });
  if (Object.keys(o.defaultLabels).length > 0) registry.setDefaultLabels(o.defaultLabels);
  if (o.processMetrics) collectDefaultMetrics({ register: registry });
  const transportHooks = createTransportMetricsHooks(set);
  const reliabilityHooks = createReliabilityMetricsHooks(set);
  const stops = new Set<() => void>();

  return {
    registry,
    contentType: registry.contentType,
    metrics: () => registry.metrics(),
    transportHooks: () => transportHooks,
    reliabilityHooks: () => reliabilityHooks,
    watchTopics(watch) {
      const stop = topics.watch(watch);
      stops.add(stop);
      return () => {
        stops.delete(stop);
        stop();
      };
    },
    watchBreaker(breaker, name = breaker.name ?? 'default') {
      return breakers.watch(breaker, name);
    },
    rateLimited(operation = 'default', count = 1) {
      set.rateLimited.inc({ operation }, count);
    },
    chat: {
      connectionOpened: () => set.chatConnections.inc(),
      connectionClosed: () => set.chatConnections.dec(),
      setConnections: (count) => set.chatConnections.set(count),
      setOnline: (count, kind = 'all') => set.chatOnline.set({ kind }, count),
    },
    bridge: {
      setBacklog: (rows) => set.bridgeBacklog.set(rows),
      observeRelayMs(ms) {
        // NaN would poison the sum for good; a negative time is clock skew between hosts.
        if (Number.isNaN(ms)) return;
        set.relayLatency.observe(ms > 0 ? ms / 1000 : 0);
      },
    },
    close() {
      for (const stop of stops) stop();
      stops.clear();
      breakers.close();
      for (const name of Object.values(METRIC_NAMES)) registry.removeSingleMetric(name);
    },
  };
}
