import { AgentbusError, ERROR_CODES } from '@agentbus/schema';
import { Counter, Gauge, Histogram } from 'prom-client';
import { CellCounter } from './internal/cell-counter';
import { CellHistogram } from './internal/cell-histogram';
import { METRIC_NAMES as N } from './metric-names';
import type { ResolvedMetricsOptions } from './metrics-options';

/**
 * The standard agentbus metric set, registered in one registry (the scrape-time topic gauges live
 * in topic-collector.ts, the breaker ones in breaker-metrics.ts). Per-message metrics (published, delivered, acked and the three latency
 * histograms) are cell-backed, so the transport's hot path adds plain numbers; everything rarer
 * uses prom-client directly.
 */
export interface MetricSet {
  published: CellCounter<'topic'>;
  delivered: CellCounter<'topic'>;
  acked: CellCounter<'topic'>;
  retried: Counter<'topic'>;
  deadLettered: Counter<'topic' | 'reason'>;
  expired: Counter<'topic'>;
  rejected: Counter<'topic' | 'reason'>;
  reclaimed: Counter<'topic' | 'group'>;
  leaseLost: Counter<'topic' | 'group'>;
  replayed: Counter<'topic'>;
  deadLettersDropped: Counter<'topic'>;
  publishDuration: CellHistogram<'topic'>;
  handlerDuration: CellHistogram<'topic'>;
  endToEndLatency: CellHistogram<'topic'>;
  collectErrors: Counter<'source'>;
  rateLimited: Counter<'operation'>;
  chatConnections: Gauge;
  chatOnline: Gauge<'kind'>;
  bridgeBacklog: Gauge;
  relayLatency: Histogram;
}

export function createMetricSet(o: ResolvedMetricsOptions): MetricSet {
  const registers = [o.registry];
  const taken = Object.values(N).filter((name) => o.registry.getSingleMetric(name) !== undefined);
  if (taken.length > 0) {
    throw new AgentbusError(
      ERROR_CODES.INVALID_ARGUMENT,
      `createMetrics: the registry already holds ${taken.join(', ')}; use one Metrics per registry (close() the other first)`,
    );
  }
  const topic = ['topic'] as const;
  return {
    published: new CellCounter({ name: N.published, help: 'Envelopes published to a topic (stream entries written).', labelNames: topic, registers }),
    delivered: new CellCounter({ name: N.delivered, help: 'Envelopes handed to a consumer handler.', labelNames: topic, registers }),
    acked: new CellCounter({ name: N.acked, help: 'Envelopes whose handler resolved and that were acknowledged.', labelNames: topic, registers }),
    retried: new Counter({ name: N.retried, help: 'Handler failures scheduled for a retry with backoff.', labelNames: topic, registers }),
    deadLettered: new Counter({
      name: N.deadLettered,
      help: 'Envelopes moved to the dead-letter stream, by reason.',
      labelNames: ['topic', 'reason'],
      registers,
    }),
    expired: new Counter({ name: N.expired, help: 'Envelopes past their ttlMs, never handed to a handler.', labelNames: topic, registers }),
    rejected: new Counter({
      name: N.rejected,
      help: 'Deliveries rejected (invalid, expired, handler-error, poison, bad-signature).',
      labelNames: ['topic', 'reason'],
      registers,
    }),
    reclaimed: new Counter({
      name: N.reclaimed,
      help: 'Entries reclaimed from consumers that stopped answering (XAUTOCLAIM).',
      labelNames: ['topic', 'group'],
      registers,
    }),
    leaseLost: new Counter({
      name: N.leaseLost,
      help: 'Deliveries whose consumer lost the lease (another consumer took the entry over): their outcome did not count.',
      labelNames: ['topic', 'group'],
      registers,
    }),
    replayed: new Counter({ name: N.replayed, help: 'Dead letters replayed back onto their topic.', labelNames: topic, registers }),
    deadLettersDropped: new Counter({
      name: N.deadLettersDropped,
      help: 'Oldest dead letters removed by the dead-letter stream cap (deadLetterMaxLen) to make room: lost.',
      labelNames: topic,
      registers,
    }),
    publishDuration: new CellHistogram({
      name: N.publishDuration,
      help: 'Time a publish took, from the call to Redis answering (s).',
      labelNames: topic,
      buckets: o.publishBuckets,
      registers,
    }),
    handlerDuration: new CellHistogram({
      name: N.handlerDuration,
      help: 'Time a successful handler ran (s).',
      labelNames: topic,
      buckets: o.handlerBuckets,
      registers,
    }),
    endToEndLatency: new CellHistogram({
      name: N.endToEndLatency,
      help: 'Envelope creation (env.ts) to ack, retries included (s).',
      labelNames: topic,
      buckets: o.endToEndBuckets,
      registers,
    }),
    collectErrors: new Counter({
      name: N.collectErrors,
      help: 'Scrape-time reads (stats, dead-letter depth) that failed or timed out; the last values were served.',
      labelNames: ['source'],
      registers,
    }),
    rateLimited: new Counter({
      name: N.rateLimited,
      help: 'Operations refused by a rate limiter.',
      labelNames: ['operation'],
      registers,
    }),
    chatConnections: new Gauge({ name: N.chatConnections, help: 'Open chat WebSocket connections of this hub.', registers }),
    chatOnline: new Gauge({
      name: N.chatOnline,
      help: 'Participants online as this hub sees them, by kind.',
      labelNames: ['kind'],
      registers,
    }),
    bridgeBacklog: new Gauge({ name: N.bridgeBacklog, help: 'Outbox rows committed and not yet relayed to Redis.', registers }),
    relayLatency: new Histogram({
      name: N.relayLatency,
      help: 'Outbox row commit to its publish on Redis (s).',
      buckets: [...o.relayBuckets],
      registers,
    }),
  };
}
