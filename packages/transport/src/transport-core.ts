import {
  AgentbusError,
  assertTopic,
  createKeyBuilder,
  ERROR_CODES,
  type Envelope,
  type KeyBuilder,
} from '@agentbus/schema';
import { createConsumer } from './consumer/create-consumer';
import type { RedisClient } from './redis/connection';
import { BackpressureError, closedError } from './errors';
import type { MembershipBackend, PubSubBackend, StreamBackend } from './internal/stream-backend';
import { DEFAULT_TRANSPORT_OPTIONS, resolveNamespace, type TransportOptions } from './options';
import { Lru } from './internal/lru';
import { startRetention } from './internal/retention';
import { collectTopicStats } from './internal/topic-stats';
import { publishRequest, publishResult, resolveTopic, targetOf, type ResolvedTopic, type TopicState } from './internal/topic-config';
import { createPubSub } from './pubsub';
import type {
  ConsumeOptions,
  Consumer,
  Handler,
  PublishOptions,
  PublishResult,
  TopicOptions,
  TopicStats,
  Transport,
  TransportCapabilities,
} from './types';

export interface TransportBackends {
  backend: 'redis' | 'memory';
  redis?: RedisClient;
  capabilities: TransportCapabilities;
  streams: StreamBackend;
  membership: MembershipBackend;
  pubsub: PubSubBackend;
  /** Closes what the backend owns (connections) after everything else. */
  shutdown: () => Promise<void>;
}

/** Topics a transport keeps state for (configuration, retention schedule); the least recently used beyond are forgotten. */
const TOPIC_STATE_CAP = 10_000;

const RETENTION_FIELDS = ['maxAgeMs', 'maxLen', 'hardMaxLen'] as const;

function checkTopicOptions(topic: string, o: TopicOptions): void {
  const bad = (what: string) => {
    throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, `topic ${topic}: ${what}`);
  };
  if (o.partitions !== undefined && (!Number.isInteger(o.partitions) || o.partitions < 1 || o.partitions > 1024)) {
    bad(`partitions must be an integer from 1 to 1024, got ${o.partitions}`);
  }
  if (o.maxBacklog !== undefined && (!Number.isInteger(o.maxBacklog) || o.maxBacklog < 0)) bad('maxBacklog must be a whole number');
  if (o.dedupeWindowMs !== undefined && (!Number.isFinite(o.dedupeWindowMs) || o.dedupeWindowMs < 0)) bad('dedupeWindowMs must be >= 0');
  for (const field of RETENTION_FIELDS) {
    const v = o.retention?.[field];
    if (v !== undefined && (!Number.isFinite(v) || v < 0)) bad(`retention.${field} must be a number >= 0 (0 = none), got ${v}`);
  }
}

/**
 * The Transport written once over a backend's primitives: topic configuration, lanes and
 * partitions, the producer (fast path: one XADD; Lua only for dedupe or a budget), consumers,
 * retention, stats.
 */
export function createTransportCore(b: TransportBackends, options: TransportOptions = {}): Transport {
  const keys: KeyBuilder = createKeyBuilder(resolveNamespace(options.namespace));
  const codec = options.codec ?? {};
  const hooks = options.hooks ?? {};
  const defaults: TopicOptions = { ...DEFAULT_TRANSPORT_OPTIONS.topicDefaults, ...options.topicDefaults };
  const trimIntervalMs = options.trimIntervalMs ?? DEFAULT_TRANSPORT_OPTIONS.trimIntervalMs;
  const retryAfterMs = options.backpressureRetryAfterMs ?? DEFAULT_TRANSPORT_OPTIONS.backpressureRetryAfterMs;
  const declared = new Map<string, TopicOptions>();
  const topics = new Lru<string, TopicState>(TOPIC_STATE_CAP);
  const consumers = new Set<Consumer>();
  let closed = false;
  const retention = startRetention(b.streams, keys, trimIntervalMs, () => {
    // A consumed topic stays known while its consumer runs, however many others come and go.
    for (const c of consumers) {
      config(c.topic);
      topics.peek(c.topic)?.groups.add(c.group);
    }
    return topics.entries();
  });

  function defineTopic(topic: string, o: TopicOptions): void {
    assertTopic(topic);
    checkTopicOptions(topic, o);
    declared.set(topic, { ...declared.get(topic), ...o });
    const known = topics.peek(topic);
    if (known) known.cfg = resolveTopic(keys, topic, { ...defaults, ...declared.get(topic) });
  }
  for (const [t, o] of Object.entries(options.topics ?? {})) defineTopic(t, o);

  /** The topic's configuration; the topic is now known to retention (first trim an interval later). */
  function config(topic: string): ResolvedTopic {
    const known = topics.get(topic);
    if (known) return known.cfg;
    const cfg = resolveTopic(keys, topic, { ...defaults, ...declared.get(topic) });
    topics.set(topic, { cfg, trimDue: Date.now() + trimIntervalMs, groups: new Set() });
    return cfg;
  }

  function partitionTopics(cfg: ResolvedTopic): string[] {
    return cfg.targets.map((t) => t.name);
  }

  function guard(): void {
    if (closed) throw closedError('transport');
  }

  async function publish(topic: string, env: Envelope, o?: PublishOptions): Promise<PublishResult> {
    guard();
    const cfg = config(topic);
    const target = targetOf(cfg, env, o);
    const req = publishRequest(keys, codec, cfg, target, env, o);
    const started = hooks.onPublish ? performance.now() : 0;
    const out = await b.streams.add(req);
    if (out.kind === 'backpressure') throw new BackpressureError(topic, out.length, cfg.maxBacklog, retryAfterMs);
    if (hooks.onPublish) hooks.onPublish(topic, env, performance.now() - started);
    return publishResult(env, out, target)!;
  }

  async function publishBatch(topic: string, envs: readonly Envelope[], o?: PublishOptions): Promise<PublishResult[]> {
    guard();
    if (envs.length === 0) return [];
    const cfg = config(topic);
    const targets = envs.map((env) => targetOf(cfg, env, o));
    const reqs = envs.map((env, i) => publishRequest(keys, codec, cfg, targets[i]!, env, o));
    const started = hooks.onPublish ? performance.now() : 0;
    const outs = await b.streams.addBatch(reqs);
    const results = outs.map((out, i) => publishResult(envs[i]!, out, targets[i]!));
    const refused = outs.find((out) => out.kind === 'backpressure');
    if (refused && refused.kind === 'backpressure') {
      throw new BackpressureError(topic, refused.length, cfg.maxBacklog, retryAfterMs, results);
    }
    if (hooks.onPublish) {
      const ms = (performance.now() - started) / envs.length;
      for (const env of envs) hooks.onPublish(topic, env, ms);
    }
    return results as PublishResult[];
  }

  function consume(topic: string, handler: Handler, o: ConsumeOptions): Consumer {
    guard();
    const cfg = config(topic);
    const c = createConsumer(topic, handler, o, {
      streams: b.streams,
      membership: b.membership,
      keys,
      codec,
      hooks,
      partitions: cfg.partitions,
    });
    consumers.add(c);
    topics.peek(topic)?.groups.add(o.group);
    const close = c.close.bind(c);
    return Object.assign(c, {
      close: async (deadlineMs?: number) => {
        consumers.delete(c);
        await close(deadlineMs);
      },
    });
  }

  async function stats(topic: string): Promise<TopicStats> {
    guard();
    const cfg = config(topic);
    return collectTopicStats(b.streams, keys, topic, cfg.partitions, partitionTopics(cfg));
  }

  return {
    backend: b.backend,
    redis: b.redis,
    capabilities: b.capabilities,
    keys,
    pubsub: createPubSub(b.pubsub, keys, codec, guard, b.capabilities.shardedPubSub),
    defineTopic,
    partitionsOf: (topic) => partitionTopics(config(topic)),
    publish,
    publishBatch,
    consume,
    stats,
    trim: (topic, policy) => {
      guard();
      const cfg = config(topic);
      return retention.trimTopic(cfg, policy ?? cfg.retention, topics.peek(topic)?.groups);
    },
    health: () => b.streams.health(),
    async close() {
      if (closed) return;
      closed = true;
      retention.stop();
      await Promise.all([...consumers].map((c) => c.close()));
      await b.pubsub.close();
      await b.streams.close();
      await b.shutdown();
    },
  };
}
