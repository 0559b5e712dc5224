import type { Envelope, KeyBuilder, Priority } from '@agentbus/schema';
import type { RedisClient } from './redis/connection';

/**
 * The contract every backend (Redis, Redis Cluster, in-memory) fulfils; the conformance suite in
 * src/conformance/ runs the same tests against each.
 */

/** What a backend can promise; conformance tests skip what a backend does not declare. */
export interface TransportCapabilities {
  /** Entries of one stream are delivered in publish order. */
  ordering: boolean;
  /** Keys spread over several nodes (Redis Cluster). */
  cluster: boolean;
  /** Survives the process (Redis); the memory backend does not. */
  durable: boolean;
  /** Pub/Sub is sharded (SPUBLISH/SSUBSCRIBE). */
  shardedPubSub: boolean;
}

/**
 * How long a topic keeps its entries, per lane stream (and per partition). Apart from
 * `hardMaxLen`, trimming never removes an entry some group has not acked, nor any entry after it:
 * the bound is the oldest entry pending in, or not yet delivered to, any group of the stream.
 * Each trim call does bounded work (at most 10,000 entries removed, 1,000 ids read; never a range
 * of entries loaded), so a large backlog is trimmed over several calls.
 */
export interface RetentionPolicy {
  /**
   * Remove entries older than this many ms (their id's time before now - maxAgeMs: MINID), up to
   * the bound. Default 24 h.
   */
  maxAgeMs?: number;
  /**
   * Remove the oldest entries beyond this many, up to the bound. Applied as MAXLEN when the bound
   * is proven to lie within the newest `maxLen` entries, else as MINID of the bound when at least
   * `maxLen` entries are proven to lie from it on; when neither can be proven cheaply (acks out of
   * order after an old pending entry) it trims only to a point proven safe, keeping more than
   * `maxLen`, or waits (age still applies). maxLen itself never leaves fewer than `maxLen` entries.
   * Default: no count limit.
   */
  maxLen?: number;
  /**
   * Hard cap on entries: the oldest beyond it are removed even when some group has not acked them,
   * at most 1,000 per call. Every entry dropped unacked is counted (`TopicStats.droppedUnacked`),
   * never silent. Default: none.
   */
  hardMaxLen?: number;
}

export interface TopicOptions {
  /** Number of partitions; a partition key chooses one by hash. Default 1 (not partitioned). */
  partitions?: number;
  /** Retention; default `{ maxAgeMs: 24 h }`. */
  retention?: RetentionPolicy;
  /**
   * Memory budget as entries (of all lanes). Past it, publish fails with BACKPRESSURE and a
   * retry-after, instead of Redis running out of memory. Default: none.
   */
  maxBacklog?: number;
  /**
   * Dedupe publishes by envelope id inside this window (ms): a second publish of the same id (a
   * retry, or ioredis re-sending an XADD after a reconnect) writes nothing and returns the first
   * one's stream id. Each record costs about 240 bytes of Redis memory for the window. Default
   * 120 000 (2 min); 0 turns it off (the publish is then one plain XADD).
   */
  dedupeWindowMs?: number;
}

/** Delivery headers carried beside the envelope (stream field `hdr`), e.g. by retries. */
export type Headers = Record<string, string | number | boolean | null | Array<unknown> | Record<string, unknown>>;

export interface PublishOptions {
  /** Chooses the partition of a partitioned topic; same key, same partition, order kept. */
  partitionKey?: string;
  /** Headers stored beside the envelope (not part of it, not signed): `attempt`, retry history. */
  headers?: Headers;
  /**
   * Overrides the topic's dedupe window for this publish (ms); 0 turns it off (a deliberate second
   * copy, e.g. a retry or a replay of the same envelope). Default: the topic's (2 min).
   */
  dedupeWindowMs?: number;
  /**
   * Deliver to this consumer group only, through its inbox stream (retries and replays use it):
   * no other group of the topic sees the message. Default: every group.
   */
  group?: string;
}

export interface PublishResult {
  /** The envelope id. */
  id: string;
  /** The stream entry id (`1700000000000-0`); for a duplicate, the id of the first publish. */
  streamId: string;
  /** The stream (topic or `topic.N`) it went to. */
  topic: string;
  /** True when the id was seen inside the dedupe window: nothing was written. */
  duplicate: boolean;
}

/** Everything about one delivery that a handler may need besides the envelope. */
export interface DeliveryContext {
  /** The topic consumed (without partition suffix). */
  topic: string;
  /** Partition index; 0 for an unpartitioned topic. */
  partition: number;
  /** The stream entry id. */
  streamId: string;
  /** 1 on first delivery of this stream entry; more after a reclaim or a restart. */
  deliveryCount: number;
  /** Attempt of the message across retries: the `attempt` header, else 1. */
  attempt: number;
  /** The entry's headers, if it has any. */
  headers: Readonly<Headers> | undefined;
  /** The priority lane it was read from. */
  lane: Priority;
  group: string;
  consumer: string;
  /**
   * Aborted when this delivery's lease is lost (another consumer took the entry over, after this
   * one failed to renew it for `claimIdleMs`), when `handlerTimeoutMs` passed, or when the consumer
   * is closed and its deadline passed. The reason is an AgentbusError (LEASE_LOST, TIMEOUT, CLOSED).
   */
  readonly signal: AbortSignal;
  /**
   * Renews the lease on this entry now (it is renewed every `leaseRenewMs` anyway): for a handler
   * that blocked the event loop. Resolves false when the lease was already lost.
   */
  extend(): Promise<boolean>;
}

export type Handler = (env: Envelope, ctx: DeliveryContext) => Promise<void> | void;

/** Why a message was not handed to the handler, or failed in it. */
export type RejectReason = 'invalid' | 'expired' | 'handler-error' | 'poison' | 'bad-signature';

/**
 * A message that could not be handled. `raw` is the stream entry's `env` field as stored, so
 * nothing is lost even when it is not a valid envelope.
 */
export interface Rejection {
  reason: RejectReason;
  error: Error;
  raw: string;
  /** The entry's `hdr` field as stored, or null. */
  headers: string | null;
  /** The `attempt` header, else 1. */
  attempt: number;
  envelope?: Envelope;
  topic: string;
  /** Partition index (0 when unpartitioned); `partitionsOf(topic)[partition]` names its stream's topic. */
  partition: number;
  /** The priority lane it was read from. */
  lane: Priority;
  /** The stream key it was read from. */
  stream: string;
  streamId: string;
  deliveryCount: number;
  group: string;
  consumer: string;
}

/**
 * What to do with a rejected message. `ack`: acknowledge it (it is settled); `retry`: leave it
 * pending so it is redelivered after `claimIdleMs`. The reliability package plugs in retries with
 * backoff and dead letters here.
 */
export type RejectionOutcome = 'ack' | 'retry';
export type RejectionHandler = (rejection: Rejection) => Promise<RejectionOutcome> | RejectionOutcome;

export interface ConsumeOptions {
  /** Consumer group; created idempotently at the stream's start (`0`) when missing. */
  group: string;
  /** Consumer name, unique in the group. Default `REDIS_CONSUMER` or `<hostname>-<pid>-<n>`. */
  consumer?: string;
  /** Handlers running at once. Default 16. Never more are in flight. */
  concurrency?: number;
  /**
   * Entries read ahead beyond the running handlers, over all lanes together (one window of
   * `concurrency + prefetch`). Buffered entries keep their lease. Default = concurrency.
   */
  prefetch?: number;
  /** XREADGROUP BLOCK in ms. Default 1000. */
  blockMs?: number;
  /**
   * Reclaim entries pending longer than this on another consumer (XAUTOCLAIM). A live consumer
   * renews the entries it holds, so this is how long a dead consumer's entries wait, not a cap on
   * handler time. Default 30 s.
   */
  claimIdleMs?: number;
  /**
   * How often the consumer renews its lease on the entries it holds (buffered or running): their
   * idle time is reset (XCLAIM JUSTID, the delivery count does not move). Default `claimIdleMs / 3`;
   * 0 turns leases off (a handler running past `claimIdleMs` is then run again elsewhere).
   */
  leaseRenewMs?: number;
  /**
   * A handler still running after this long fails with TIMEOUT (its signal aborts; the entry goes
   * to `onRejected` like any failure, and its slot is freed). Default: none.
   */
  handlerTimeoutMs?: number;
  /** How often to look for entries to reclaim. Default 10 s (and once at start). */
  claimIntervalMs?: number;
  /** Remove consumers idle this long with nothing pending from the group. Default 1 h; 0 = never. */
  reapIdleMs?: number;
  /** Lanes to read, by weight. Default all four, urgent 8, high 4, normal 2, low 1. */
  lanes?: Partial<Record<Priority, number>>;
  /** Where a rejected message goes. Default: invalid and expired are acked and counted; a handler error is left pending for redelivery. */
  onRejected?: RejectionHandler;
  /**
   * An entry delivered more often than this (it keeps killing its consumer) is rejected as
   * `poison` without running the handler. Default: no limit.
   */
  maxDeliveries?: number;
  /**
   * Checks each envelope before the handler (e.g. its signature); a returned error rejects it as
   * `bad-signature`. Default: none.
   */
  verify?: (env: Envelope) => Error | undefined;
  /** Where the group starts when it is created: `0` (all entries, default) or `$` (new only). */
  startId?: '0' | '$';
  /** Partitioned topics: how often consumers heartbeat to share partitions (ms). Default 2000. */
  membershipIntervalMs?: number;
  /** Errors of the read loop (Redis down, ...); the loop retries with backoff. Default: ignored. */
  onError?: (error: Error) => void;
}

export interface Consumer {
  readonly topic: string;
  readonly group: string;
  readonly name: string;
  /** Resolves once the group exists and the first read was issued. */
  ready(): Promise<void>;
  /** Handlers running now. */
  inFlight(): number;
  /** The partitions this consumer reads now: `[0]` for an unpartitioned topic. */
  partitions(): readonly number[];
  /** Counters since start. */
  counters(): ConsumerCounters;
  /**
   * Stops reading, lets in-flight handlers finish (up to `deadlineMs`, default 30 s; after that
   * their signal aborts and their entries stay pending for reclaim), flushes acks, returns.
   */
  close(deadlineMs?: number): Promise<void>;
}

export interface ConsumerCounters {
  delivered: number;
  acked: number;
  failed: number;
  expired: number;
  invalid: number;
  reclaimed: number;
  /** Deliveries whose lease was lost (taken over elsewhere): their outcome was not counted. */
  leaseLost: number;
  /** Pending entries found deleted (trimmed or XDEL'd) and settled. */
  deleted: number;
}

/** A Pub/Sub message handler; a payload that is not a valid envelope goes to `onInvalid`. */
export type SubscriptionHandler = (env: Envelope, channel: string) => void;

export interface SubscribeOptions {
  /** Called with the raw text of a message that is not a valid envelope. Default: dropped. */
  onInvalid?: (raw: string, error: Error, channel: string) => void;
  /** Called when the handler throws; other subscribers still get the message. Default: a process warning. */
  onError?: (error: Error, channel: string) => void;
}

export interface Subscription {
  readonly channel: string;
  /** Resolves when the server confirmed the subscription. */
  ready(): Promise<void>;
  unsubscribe(): Promise<void>;
}

/** Fast, at-most-once messaging. Channel names are namespaced by the key builder. */
export interface PubSub {
  /** Returns the number of subscribers that received it (0 in cluster mode: not known). */
  publish(channel: string, env: Envelope): Promise<number>;
  subscribe(channel: string, handler: SubscriptionHandler, options?: SubscribeOptions): Subscription;
  /** Glob-style pattern (`chat.*`). Not sharded in cluster mode. */
  psubscribe(pattern: string, handler: SubscriptionHandler, options?: SubscribeOptions): Subscription;
}

export interface ConsumerInfo {
  name: string;
  pending: number;
  idleMs: number;
}

export interface GroupInfo {
  name: string;
  consumers: ConsumerInfo[];
  pending: number;
  /**
   * Entries still in the stream not yet delivered to the group: 0 once it read the last entry
   * (entries a hard cap removed unread are not counted), the length when it read none of those
   * left; null when Redis cannot tell.
   */
  lag: number | null;
  lastDeliveredId: string;
}

export interface LaneStats {
  lane: Priority;
  stream: string;
  length: number;
  firstId: string | null;
  lastId: string | null;
  groups: GroupInfo[];
}

export interface TopicStats {
  topic: string;
  partitions: number;
  /** Entries over all lanes and partitions. */
  length: number;
  /** Oldest and newest entry id of the main (normal) lane of partition 0. */
  firstId: string | null;
  lastId: string | null;
  /** Groups summed over lanes and partitions. */
  groups: GroupInfo[];
  /** Per lane and partition. */
  streams: LaneStats[];
  /** Entries removed unacked by a hard cap (see RetentionPolicy.hardMaxLen). */
  droppedUnacked: number;
}

export interface TrimResult {
  /** Entries removed. */
  trimmed: number;
  /** Of those, removed before every group acked them (hard cap only). */
  droppedUnacked: number;
}

export interface HealthReport {
  ok: boolean;
  backend: 'redis' | 'memory';
  latencyMs: number;
  version?: string;
  role?: string;
  usedMemoryBytes?: number;
  maxMemoryBytes?: number;
  connectedClients?: number;
  mode?: 'standalone' | 'cluster' | 'sentinel';
  error?: string;
}

/** Hooks for metrics and tracing; every one optional, so a team without metrics pays nothing. */
export interface TransportHooks {
  onPublish?(topic: string, env: Envelope, durationMs: number): void;
  onDeliver?(topic: string, env: Envelope, ctx: DeliveryContext): void;
  onAck?(topic: string, env: Envelope, ctx: DeliveryContext, handlerMs: number): void;
  onReject?(rejection: Rejection): void;
  onReclaim?(topic: string, group: string, count: number): void;
  /** A consumer lost its lease on `count` deliveries (their acks did not count). */
  onLeaseLost?(topic: string, group: string, count: number): void;
}

export interface Transport {
  readonly backend: 'redis' | 'memory';
  /**
   * The ioredis client of a Redis transport, for packages that run their own scripts on the same
   * connection (reliability); undefined on the memory backend.
   */
  readonly redis: RedisClient | undefined;
  readonly capabilities: TransportCapabilities;
  readonly keys: KeyBuilder;
  readonly pubsub: PubSub;
  /** The topics that hold a topic's streams: `[topic]`, or `topic.0 .. topic.N-1` when partitioned. */
  partitionsOf(topic: string): string[];
  /** Declares or changes a topic's options (partitions, retention, budget, dedupe) in this process. */
  defineTopic(topic: string, options: TopicOptions): void;
  /** XADD one envelope to the topic (its lane by priority; its partition by key). */
  publish(topic: string, env: Envelope, options?: PublishOptions): Promise<PublishResult>;
  /** Many envelopes in one round trip (pipelined); results in input order. */
  publishBatch(topic: string, envs: readonly Envelope[], options?: PublishOptions): Promise<PublishResult[]>;
  /** Starts a consumer-group consumer; it runs until closed. */
  consume(topic: string, handler: Handler, options: ConsumeOptions): Consumer;
  stats(topic: string): Promise<TopicStats>;
  /**
   * Applies the retention policy (the topic's, unless `policy` is given) to every lane and
   * partition now, in at most 100 bounded steps per stream (up to 1,000,000 entries by the
   * policy, 100,000 by the hard cap); what is left waits for the next call. Retention also runs
   * on its own every `trimIntervalMs`.
   */
  trim(topic: string, policy?: RetentionPolicy): Promise<TrimResult>;
  health(): Promise<HealthReport>;
  /** Closes consumers, subscriptions and connections. */
  close(): Promise<void>;
}
