import type { TopicStats } from '@agentbus/transport';
import { Gauge, type Counter, type Registry } from 'prom-client';
import { cachedRead, type CachedRead } from './internal/cached-read';
import { METRIC_NAMES as N } from './metric-names';

/** Where topic stats come from: a Transport (`transport.stats`) or anything with the same method. */
export interface TopicStatsSource {
  stats(topic: string): Promise<TopicStats>;
}

/** Where dead-letter depth comes from: `reliability.deadLetters` or anything with `depth(topic)`. */
export interface DeadLetterDepthSource {
  depth(topic: string): Promise<number>;
}

export interface WatchTopicsOptions {
  /** The topics to report; a function is asked again at every scrape (topics that come and go). */
  topics: readonly string[] | (() => readonly string[]);
  /** Lag, pending, consumers, length and dropped entries per topic and group. Default: not reported. */
  stats?: TopicStatsSource;
  /** Dead letters waiting per topic. Default: not reported. */
  deadLetters?: DeadLetterDepthSource;
}

interface Watch {
  options: WatchTopicsOptions;
  stats: Map<string, CachedRead<TopicStats>>;
  depth: Map<string, CachedRead<number>>;
}

interface Row {
  topic: string;
  stats: TopicStats | undefined;
  depth: number | undefined;
}

export interface TopicCollector {
  watch(options: WatchTopicsOptions): () => void;
}

export interface TopicCollectorOptions {
  registry: Registry;
  /** Counts failed or timed-out reads, by `source` (`stats`, `dead-letters`). */
  errors: Counter<'source'>;
  cacheMs: number;
  timeoutMs: number;
}

/**
 * The scrape-time gauges of topics. Each gauge's `collect` asks for the rows, and the rows come
 * from reads cached for `cacheMs` and shared by concurrent callers, so one scrape (whose gauges
 * collect at once) or several scrapers cost one `stats()` and one `depth()` per topic per period.
 */
export function createTopicCollector(o: TopicCollectorOptions): TopicCollector {
  const watches = new Set<Watch>();

  function reader<T>(cache: Map<string, CachedRead<T>>, topic: string, source: string, read: () => Promise<T>): CachedRead<T> {
    let r = cache.get(topic);
    if (!r) {
      r = cachedRead(read, o.cacheMs, o.timeoutMs, () => o.errors.inc({ source }));
      cache.set(topic, r);
    }
    return r;
  }

  async function rows(): Promise<Row[]> {
    const reads: Promise<Row>[] = [];
    for (const w of watches) {
      const { topics, stats, deadLetters } = w.options;
      const list = typeof topics === 'function' ? topics() : topics;
      // Forget the reads of topics no longer listed, so a changing list does not leak.
      for (const cache of [w.stats, w.depth] as Map<string, unknown>[]) {
        for (const t of cache.keys()) if (!list.includes(t)) cache.delete(t);
      }
      for (const topic of list) {
        reads.push(
          Promise.all([
            stats ? reader(w.stats, topic, 'stats', () => stats.stats(topic)).get() : undefined,
            deadLetters ? reader(w.depth, topic, 'dead-letters', () => deadLetters.depth(topic)).get() : undefined,
          ]).then(([s, d]) => ({ topic, stats: s, depth: d })),
        );
      }
    }
    return Promise.all(reads);
  }

  /** A gauge that reports, at each scrape, exactly the series `fill` sets from fresh rows. */
  function gauge<T extends string>(name: string, help: string, labelNames: readonly T[], fill: (g: Gauge<T>, row: Row) => void): void {
    new Gauge<T>({
      name,
      help,
      labelNames,
      registers: [o.registry],
      async collect() {
        const current = await rows();
        // Reset first: a group or topic that went away must not linger at its last value.
        this.reset();
        for (const row of current) fill(this, row);
      },
    });
  }

  const byGroup = ['topic', 'group'] as const;
  const byTopic = ['topic'] as const;
  gauge(N.consumerLag, 'Entries of a topic not yet delivered to a consumer group (all lanes and partitions).', byGroup, (g, r) => {
    for (const group of r.stats?.groups ?? []) if (group.lag !== null) g.set({ topic: r.topic, group: group.name }, group.lag);
  });
  gauge(N.consumerPending, 'Entries delivered to a consumer group and not yet acknowledged.', byGroup, (g, r) => {
    for (const group of r.stats?.groups ?? []) g.set({ topic: r.topic, group: group.name }, group.pending);
  });
  gauge(N.groupConsumers, 'Consumers registered in a consumer group.', byGroup, (g, r) => {
    for (const group of r.stats?.groups ?? []) g.set({ topic: r.topic, group: group.name }, group.consumers.length);
  });
  gauge(N.streamLength, 'Entries held by a topic (all lanes and partitions).', byTopic, (g, r) => {
    if (r.stats) g.set({ topic: r.topic }, r.stats.length);
  });
  gauge(
    N.droppedUnacked,
    'Entries a hard retention cap removed before every group acked them (cumulative, as Redis counts them).',
    byTopic,
    (g, r) => {
      if (r.stats) g.set({ topic: r.topic }, r.stats.droppedUnacked);
    },
  );
  gauge(N.deadLetterDepth, 'Dead letters waiting in a topic.', byTopic, (g, r) => {
    if (r.depth !== undefined) g.set({ topic: r.topic }, r.depth);
  });

  return {
    watch(options) {
      const w: Watch = { options, stats: new Map(), depth: new Map() };
      watches.add(w);
      return () => {
        watches.delete(w);
      };
    },
  };
}
