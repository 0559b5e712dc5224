import {
  AgentbusError,
  assertTopic,
  createKeyBuilder,
  encodeEnvelope,
  ERROR_CODES,
  PRIORITIES,
  type Envelope,
  type KeyBuilder,
  type Priority,
} from '@agentbus/schema';
import { createConsumer } from './consumer';
import type { RedisClient } from './redis/connection';
import { BackpressureError, closedError } from './errors';
import type { AddOutcome, AddRequest, MembershipBackend, PubSubBackend, StreamBackend } from './internal/stream-backend';
import { DEFAULT_RETENTION, DEFAULT_TRANSPORT_OPTIONS, resolveNamespace, type TransportOptions } from './options';
import { partitionFor } from './partition';
import { compareIds } from './internal/stream-id';
import { createPubSub } from './pubsub';
import type {
  ConsumeOptions,
  Consumer,
  GroupInfo,
  Handler,
  LaneStats,
  PublishOptions,
  PublishResult,
  RetentionPolicy,
  TopicOptions,
  TopicStats,
  Transport,
  TransportCapabilities,
  TrimResult,
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

/** One partition's stream keys, built once per topic instead of once per message. */
interface Target {
  name: string;
  lanes: Record<Priority, string>;
  budget: string[];
}

interface ResolvedTopic {
  partitions: number;
  retention: RetentionPolicy;
  maxBacklog: number;
  dedupeWindowMs: number;
  targets: Target[];
}

function checkTopicOptions(topic: string, o: TopicOptions): void {
  const bad = (what: string) => {
    throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, `topic ${topic}: ${what}`);
  };
  if (o.partitions !== undefined && (!Number.isInteger(o.partitions) || o.partitions < 1 || o.partitions > 1024)) {
    bad(`partitions must be an integer from 1 to 1024, got ${o.partitions}`);
  }
  if (o.maxBacklog !== undefined && (!Number.isInteger(o.maxBacklog) || o.maxBacklog < 0)) bad('maxBacklog must be a whole number');
  if (o.dedupeWindowMs !== undefined && (!Number.isFinite(o.dedupeWindowMs) || o.dedupeWindowMs < 0)) bad('dedupeWindowMs must be >= 0');
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
  const resolved = new Map<string, ResolvedTopic>();
  const lastTrim = new Map<string, number>();
  const consumers = new Set<Consumer>();
  let closed = false;

  function defineTopic(topic: string, o: TopicOptions): void {
    assertTopic(topic);
    checkTopicOptions(topic, o);
    declared.set(topic, { ...declared.get(topic), ...o });
    resolved.delete(topic);
  }
  for (const [t, o] of Object.entries(options.topics ?? {})) defineTopic(t, o);

  function config(topic: string): ResolvedTopic {
    let r = resolved.get(topic);
    if (!r) {
      assertTopic(topic);
      const o = { ...defaults, ...declared.get(topic) };
      const partitions = o.partitions ?? 1;
      const names = partitions <= 1 ? [topic] : Array.from({ length: partitions }, (_, p) => keys.partition(topic, p));
      r = {
        partitions,
        retention: o.retention ?? DEFAULT_RETENTION,
        maxBacklog: o.maxBacklog ?? 0,
        dedupeWindowMs: o.dedupeWindowMs ?? 0,
        targets: names.map((name) => {
          const lanes = Object.fromEntries(PRIORITIES.map((p) => [p, keys.lane(name, p)])) as Record<Priority, string>;
          return { name, lanes, budget: PRIORITIES.map((p) => lanes[p]) };
        }),
      };
      resolved.set(topic, r);
    }
    return r;
  }

  function partitionTopics(cfg: ResolvedTopic): string[] {
    return cfg.targets.map((t) => t.name);
  }

  function targetOf(cfg: ResolvedTopic, env: Envelope, o: PublishOptions | undefined): Target {
    // Without a partition key the envelope id picks the partition, so a retried publish of the
    // same envelope meets its dedupe record.
    return cfg.partitions > 1 ? cfg.targets[partitionFor(o?.partitionKey ?? env.id, cfg.partitions)]! : cfg.targets[0]!;
  }

  function request(cfg: ResolvedTopic, target: Target, env: Envelope, o: PublishOptions | undefined): AddRequest {
    const encoded = encodeEnvelope(env, codec);
    if (!encoded.ok) throw encoded.error;
    const stream = target.lanes[env.priority];
    if (stream === undefined) {
      throw new AgentbusError(ERROR_CODES.INVALID_MESSAGE, `envelope ${env.id}: unknown priority ${String(env.priority)}`);
    }
    const req: AddRequest = { stream, raw: encoded.value };
    if (o?.headers) req.headers = JSON.stringify(o.headers);
    const window = o?.dedupeWindowMs ?? cfg.dedupeWindowMs;
    if (window > 0) {
      req.dedupeKey = keys.dedupe(target.name, env.id);
      req.dedupeWindowMs = window;
    }
    if (cfg.maxBacklog > 0) {
      req.maxBacklog = cfg.maxBacklog;
      req.budgetStreams = target.budget;
    }
    return req;
  }

  function result(env: Envelope, out: AddOutcome, target: Target): PublishResult | null {
    if (out.kind === 'backpressure') return null;
    return { id: env.id, streamId: out.streamId, topic: target.name, duplicate: out.kind === 'duplicate' };
  }

  function afterPublish(topic: string, cfg: ResolvedTopic): void {
    if (trimIntervalMs <= 0) return;
    const now = Date.now();
    const last = lastTrim.get(topic);
    if (last === undefined) {
      // First publish in this process: start the clock; retention runs an interval later.
      lastTrim.set(topic, now);
      return;
    }
    if (now - last < trimIntervalMs) return;
    lastTrim.set(topic, now);
    void trimTopic(topic, cfg.retention).catch(() => undefined);
  }

  function guard(): void {
    if (closed) throw closedError('transport');
  }

  async function publish(topic: string, env: Envelope, o?: PublishOptions): Promise<PublishResult> {
    guard();
    const cfg = config(topic);
    const target = targetOf(cfg, env, o);
    const req = request(cfg, target, env, o);
    const started = hooks.onPublish ? performance.now() : 0;
    const out = await b.streams.add(req);
    if (out.kind === 'backpressure') throw new BackpressureError(topic, out.length, cfg.maxBacklog, retryAfterMs);
    if (hooks.onPublish) hooks.onPublish(topic, env, performance.now() - started);
    afterPublish(topic, cfg);
    return result(env, out, target)!;
  }

  async function publishBatch(topic: string, envs: readonly Envelope[], o?: PublishOptions): Promise<PublishResult[]> {
    guard();
    if (envs.length === 0) return [];
    const cfg = config(topic);
    const targets = envs.map((env) => targetOf(cfg, env, o));
    const reqs = envs.map((env, i) => request(cfg, targets[i]!, env, o));
    const started = hooks.onPublish ? performance.now() : 0;
    const outs = await b.streams.addBatch(reqs);
    const results = outs.map((out, i) => result(envs[i]!, out, targets[i]!));
    const refused = outs.find((out) => out.kind === 'backpressure');
    if (refused && refused.kind === 'backpressure') {
      throw new BackpressureError(topic, refused.length, cfg.maxBacklog, retryAfterMs, results);
    }
    if (hooks.onPublish) {
      const ms = (performance.now() - started) / envs.length;
      for (const env of envs) hooks.onPublish(topic, env, ms);
    }
    afterPublish(topic, cfg);
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
    const close = c.close.bind(c);
    return Object.assign(c, {
      close: async (deadlineMs?: number) => {
        consumers.delete(c);
        await close(deadlineMs);
      },
    });
  }

  async function trimTopic(topic: string, policy: RetentionPolicy): Promise<TrimResult> {
    const cfg = config(topic);
    const now = Date.now();
    const total: TrimResult = { trimmed: 0, droppedUnacked: 0 };
    for (const t of partitionTopics(cfg)) {
      const droppedKey = keys.topic(t, 'dropped');
      for (const p of PRIORITIES) {
        const r = await b.streams.trim(keys.lane(t, p), policy, now, droppedKey);
        total.trimmed += r.trimmed;
        total.droppedUnacked += r.droppedUnacked;
      }
    }
    return total;
  }

  async function stats(topic: string): Promise<TopicStats> {
    guard();
    const cfg = config(topic);
    const streams: LaneStats[] = [];
    let dropped = 0;
    const parts = partitionTopics(cfg);
    await Promise.all(
      parts.map(async (t) => {
        const [lanes, d] = await Promise.all([
          Promise.all(PRIORITIES.map(async (lane) => ({ lane, ...(await b.streams.info(keys.lane(t, lane))) }))),
          b.streams.dropped(keys.topic(t, 'dropped')),
        ]);
        streams.push(...lanes);
        dropped += d;
      }),
    );
    streams.sort((a, b2) => (a.stream < b2.stream ? -1 : a.stream > b2.stream ? 1 : 0));
    const groups = new Map<string, GroupInfo>();
    for (const s of streams) {
      for (const g of s.groups) {
        const acc = groups.get(g.name);
        if (!acc) {
          groups.set(g.name, { ...g, consumers: g.consumers.map((c) => ({ ...c })) });
          continue;
        }
        acc.pending += g.pending;
        acc.lag = acc.lag === null || g.lag === null ? null : acc.lag + g.lag;
        if (compareIds(g.lastDeliveredId, acc.lastDeliveredId) > 0) acc.lastDeliveredId = g.lastDeliveredId;
        for (const c of g.consumers) {
          const have = acc.consumers.find((x) => x.name === c.name);
          if (have) {
            have.pending += c.pending;
            have.idleMs = Math.min(have.idleMs, c.idleMs);
          } else acc.consumers.push({ ...c });
        }
      }
    }
    const main = streams.find((s) => s.stream === keys.lane(parts[0]!, 'normal'));
    return {
      topic,
      partitions: cfg.partitions,
      length: streams.reduce((n, s) => n + s.length, 0),
      firstId: main?.firstId ?? null,
      lastId: main?.lastId ?? null,
      groups: [...groups.values()],
      streams,
      droppedUnacked: dropped,
    };
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
      return trimTopic(topic, policy ?? config(topic).retention);
    },
    health: () => b.streams.health(),
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...consumers].map((c) => c.close()));
      await b.pubsub.close();
      await b.streams.close();
      await b.shutdown();
    },
  };
}
