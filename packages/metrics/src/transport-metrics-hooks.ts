import type { Envelope } from '@agentbus/schema';
import type { DeliveryContext, Rejection, TransportHooks } from '@agentbus/transport';
import type { CounterCell } from './internal/cell-counter';
import type { HistogramCell } from './internal/cell-histogram';
import type { MetricSet } from './metric-set';

/** One topic's hot-path cells, looked up once per hook call by topic name. */
interface TopicCells {
  published: CounterCell;
  delivered: CounterCell;
  acked: CounterCell;
  publishDuration: HistogramCell;
  handlerDuration: HistogramCell;
  endToEndLatency: HistogramCell;
}

/**
 * TransportHooks that count into the metric set. Per message they do a Map lookup and a few
 * additions: no prom-client call, no closure, no allocation (the cells of a topic are made once).
 */
export function createTransportMetricsHooks(set: MetricSet): Required<TransportHooks> {
  const topics = new Map<string, TopicCells>();

  function cellsOf(topic: string): TopicCells {
    let t = topics.get(topic);
    if (!t) {
      t = {
        published: set.published.cell(topic),
        delivered: set.delivered.cell(topic),
        acked: set.acked.cell(topic),
        publishDuration: set.publishDuration.cell(topic),
        handlerDuration: set.handlerDuration.cell(topic),
        endToEndLatency: set.endToEndLatency.cell(topic),
      };
      // Series exist at 0 from the first sight of a topic, so rate() sees the first increase.
      set.published.inc({ topic }, 0);
      set.delivered.inc({ topic }, 0);
      set.acked.inc({ topic }, 0);
      topics.set(topic, t);
    }
    return t;
  }

  return {
    onPublish(topic: string, _env: Envelope, durationMs: number): void {
      const t = cellsOf(topic);
      t.published.n++;
      t.publishDuration.observe(durationMs / 1000);
    },
    onDeliver(topic: string): void {
      cellsOf(topic).delivered.n++;
    },
    onAck(topic: string, env: Envelope, _ctx: DeliveryContext, handlerMs: number): void {
      const t = cellsOf(topic);
      t.acked.n++;
      t.handlerDuration.observe(handlerMs / 1000);
      // env.ts comes from the producer's clock: a skewed one must not make a negative latency.
      const age = Date.now() - env.ts;
      t.endToEndLatency.observe(age > 0 ? age / 1000 : 0);
    },
    onReject(r: Rejection): void {
      set.rejected.inc({ topic: r.topic, reason: r.reason });
      if (r.reason === 'expired') set.expired.inc({ topic: r.topic });
    },
    onReclaim(topic: string, group: string, count: number): void {
      set.reclaimed.inc({ topic, group }, count);
    },
    onLeaseLost(topic: string, group: string, count: number): void {
      set.leaseLost.inc({ topic, group }, count);
    },
  };
}
