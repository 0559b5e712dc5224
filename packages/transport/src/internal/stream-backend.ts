import type { HealthReport, LaneStats, RetentionPolicy, TrimResult } from '../types';

/**
 * The stream primitives a backend provides. The producer, the consumer loop (lanes, concurrency,
 * acks, reclaim) and the Transport facade are written once on top of this, so the Redis and the
 * memory backend differ only here and the conformance suite tests the same logic on both.
 *
 * Stream names are full keys from the key builder (`{ns:topic}:stream`, `...:stream:urgent`).
 * An entry carries one field: the envelope's wire text (`env`).
 */

export interface RawEntry {
  id: string;
  /** The `env` field; `null` when the entry has no such field (written by a foreign client). */
  raw: string | null;
  /** The optional `hdr` field: delivery headers as JSON (attempt number, retry history). */
  headers?: string | null;
}

export interface ClaimedEntry extends RawEntry {
  deliveryCount: number;
}

export interface AddRequest {
  stream: string;
  raw: string;
  /** Written to the `hdr` field when set. */
  headers?: string;
  /** Dedupe record key and window; when set the add is atomic with the check. */
  dedupeKey?: string;
  dedupeWindowMs?: number;
  /**
   * Budget check: refuse when the summed length of `budgetStreams` is at least `maxBacklog`.
   * Atomic with the add.
   */
  maxBacklog?: number;
  budgetStreams?: readonly string[];
}

export type AddOutcome =
  | { kind: 'added'; streamId: string }
  | { kind: 'duplicate'; streamId: string }
  | { kind: 'backpressure'; length: number };

export interface ReadRequest {
  group: string;
  consumer: string;
  streams: readonly string[];
  /** `>` for new entries, `0` for this consumer's own pending ones; one per stream. */
  ids: readonly string[];
  /** Per stream. */
  count: number;
  /** 0 = do not block. */
  blockMs: number;
  /** Aborts a blocking read (consumer closing). */
  signal?: AbortSignal;
  /**
   * Names the reader: a backend that needs a dedicated connection for a blocking read (Redis)
   * keeps one per key, so readers do not block each other. Ignored by the memory backend.
   */
  readerKey?: string;
}

export interface LaneReadRequest {
  group: string;
  consumer: string;
  /** Lanes (and the group's inbox) of one partition, one hash slot. */
  streams: readonly string[];
  /** One weight per stream: the budget is shared by weight, then what is left to the busy ones. */
  weights: readonly number[];
  /** Most entries to read over all streams (the free room of the consumer's window). */
  budget: number;
  /** Read only while `key` holds `token` (the partition lease). */
  fence?: { key: string; token: string };
  /**
   * When nothing is new, wait up to `blockMs` (on the reader's own connection). A backend that
   * can read what arrives without breaking the fence returns it; otherwise it answers `empty`
   * with the ids to wait on (`waitForEntries`).
   */
  wait?: { blockMs: number; signal?: AbortSignal; readerKey?: string };
}

export type LaneReadResult =
  | { kind: 'entries'; results: ReadResult[] }
  /** `lastIds`: each stream's newest id to wait on; absent when the backend waited already. */
  | { kind: 'empty'; lastIds?: string[] }
  | { kind: 'fenced' };

export interface WaitRequest {
  streams: readonly string[];
  /** One id per stream: wait for an entry newer than it. */
  after: readonly string[];
  blockMs: number;
  signal?: AbortSignal;
  /** Names the waiter's connection, as `ReadRequest.readerKey`. */
  readerKey?: string;
}

export interface ClaimPage {
  entries: ClaimedEntry[];
  /** The cursor of the next step; `0-0` when the scan went round the whole pending list. */
  next: string;
  deleted: string[];
}

export interface ReadResult {
  stream: string;
  entries: RawEntry[];
}

export interface StreamBackend {
  add(req: AddRequest): Promise<AddOutcome>;
  /** Many adds in one round trip; outcomes in order. */
  addBatch(reqs: readonly AddRequest[]): Promise<AddOutcome[]>;
  /** Creates the group at `startId` (and the stream when missing); no error when it exists. */
  ensureGroup(stream: string, group: string, startId: '0' | '$'): Promise<void>;
  /** XREADGROUP; resolves `[]` when the block timed out or was aborted. */
  read(req: ReadRequest): Promise<ReadResult[]>;
  /** XACK; many streams in one round trip. */
  ack(group: string, acks: ReadonlyMap<string, readonly string[]>): Promise<void>;
  /**
   * New entries of one partition's streams for one consumer, with one budget over all of them
   * (atomic, and fenced by the partition lease when `fence` is set). When nothing is new, the
   * newest id of each stream, for `waitForEntries`.
   */
  readLanes(req: LaneReadRequest): Promise<LaneReadResult>;
  /**
   * Resolves once one of `streams` has an entry newer than its id in `after`, when `blockMs`
   * passed, or when `signal` aborts. Reads nothing for any group (XREAD BLOCK on its own connection).
   */
  waitForEntries(req: WaitRequest): Promise<void>;
  /**
   * Renews this consumer's lease on held entries (idle time reset, delivery count unchanged), or,
   * with `mode: 'ack'`, acks them; either only for entries still pending for `consumer`. Returns
   * the ids it no longer owns.
   */
  lease(stream: string, group: string, consumer: string, ids: readonly string[], mode: 'renew' | 'ack'): Promise<string[]>;
  /**
   * One XAUTOCLAIM step from `cursor` for `consumer`, with each entry's delivery count (after the
   * claim). `deleted`: ids that were pending but whose entries are gone (trimmed or XDEL'd); they
   * are no longer pending when this returns.
   */
  claim(
    stream: string,
    group: string,
    consumer: string,
    minIdleMs: number,
    count: number,
    cursor: string,
  ): Promise<ClaimPage>;
  /** Moves every pending entry of the group to `consumer` (ids only; a partition takeover). */
  takeOver(stream: string, group: string, consumer: string, cursor: string, count: number): Promise<{ next: string; moved: number }>;
  /** Delivery counts of entries pending for `consumer` (for its own pending read at start). */
  deliveryCounts(stream: string, group: string, ids: readonly string[]): Promise<Map<string, number>>;
  /**
   * Removes consumers idle longer than `idleMs` that have nothing pending, never `keep` (the caller,
   * which may have waited long on XREAD without touching the group); returns their names.
   */
  reap(stream: string, group: string, idleMs: number, keep?: string): Promise<string[]>;
  info(stream: string): Promise<Omit<LaneStats, 'lane'>>;
  /** Applies retention; never trims past the oldest entry a group has not acked, except a hard cap. */
  trim(stream: string, policy: RetentionPolicy, now: number, droppedKey: string): Promise<TrimResult>;
  /** Entries dropped unacked by a hard cap, as counted at `droppedKey`. */
  dropped(droppedKey: string): Promise<number>;
  health(): Promise<HealthReport>;
  /** Releases what a reader held (its blocking connection). */
  releaseReader?(readerKey: string): void;
  close(): Promise<void>;
  /**
   * Sets `key` to `token` for `ttlMs` unless it exists (SET NX PX); true when this call set it.
   * Never released early: the expiry is the lock's length.
   */
  tryLock(key: string, token: string, ttlMs: number): Promise<boolean>;
}

/**
 * Live members of a consumer group, for spreading partitions: each consumer heartbeats, and the
 * members seen within `ttlMs` share the partitions.
 */
export interface MembershipBackend {
  /**
   * Records `member` as alive now, by the server's clock (clients' clocks may be skewed); returns
   * the members alive within `ttlMs`, sorted.
   */
  heartbeat(key: string, member: string, ttlMs: number): Promise<string[]>;
  leave(key: string, member: string): Promise<void>;
  /** Takes or renews the lease at `key` for `token`; false when another token holds it. */
  acquireLease(key: string, token: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up if `token` holds it. */
  releaseLease(key: string, token: string): Promise<void>;
}

export type RawMessageHandler = (raw: string, channel: string) => void;

export interface PubSubBackend {
  publish(channel: string, raw: string): Promise<number>;
  /** Subscribes to an exact channel (sharded where the backend shards). Resolves when confirmed. */
  subscribe(channel: string, onMessage: RawMessageHandler): Promise<void>;
  unsubscribe(channel: string, onMessage: RawMessageHandler): Promise<void>;
  psubscribe(pattern: string, onMessage: RawMessageHandler): Promise<void>;
  punsubscribe(pattern: string, onMessage: RawMessageHandler): Promise<void>;
  close(): Promise<void>;
}
