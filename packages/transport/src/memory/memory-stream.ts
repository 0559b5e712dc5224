import { ZERO_ID, compareParsedIds, formatStreamId, nextStreamId, type StreamId } from '../internal/stream-id';

/** One entry of a stream. `raw` is its `env` field. */
export interface StreamEntry {
  readonly id: StreamId;
  /** The id as text (`ms-seq`), the key of every lookup. */
  readonly key: string;
  readonly raw: string | null;
  /** Its `hdr` field. */
  readonly headers: string | null;
}

/** A pending entries list (PEL) record: delivered to `consumer`, not acked yet. */
export interface PendingEntry {
  readonly id: StreamId;
  readonly key: string;
  consumer: string;
  deliveryCount: number;
  /** When it was last delivered (ms); idle = now - deliveryTime. */
  deliveryTime: number;
}

export interface GroupConsumer {
  readonly name: string;
  /** Last interaction (read or claim), as XINFO CONSUMERS `idle` counts it. */
  seenTime: number;
  /** Keys of the entries pending for this consumer. */
  readonly pending: Set<string>;
}

export interface ConsumerGroup {
  readonly name: string;
  lastDeliveredId: StreamId;
  /**
   * The group's PEL by entry key. Entries join it only through `>` reads, whose ids are always
   * above every id already delivered, so insertion order is id order (what XAUTOCLAIM and history
   * reads scan in).
   */
  readonly pel: Map<string, PendingEntry>;
  readonly consumers: Map<string, GroupConsumer>;
}

/**
 * A Redis stream in memory: entries in id order (removed only from the oldest end, as XTRIM does),
 * the last generated id (kept when entries are trimmed, so ids never repeat) and consumer groups.
 */
export class MemoryStream {
  private entries: StreamEntry[] = [];
  private head = 0;
  private readonly byKey = new Map<string, StreamEntry>();
  lastId: StreamId = ZERO_ID;
  readonly groups = new Map<string, ConsumerGroup>();

  get length(): number {
    return this.entries.length - this.head;
  }

  /** XADD `*`. */
  append(raw: string | null, nowMs: number, headers: string | null = null): StreamEntry {
    const id = nextStreamId(this.lastId, nowMs);
    const entry: StreamEntry = { id, key: formatStreamId(id), raw, headers };
    this.entries.push(entry);
    this.byKey.set(entry.key, entry);
    this.lastId = id;
    return entry;
  }

  get(key: string): StreamEntry | undefined {
    return this.byKey.get(key);
  }

  /** The `i`-th entry from the oldest. */
  at(i: number): StreamEntry | undefined {
    return i >= 0 && i < this.length ? this.entries[this.head + i] : undefined;
  }

  first(): StreamEntry | undefined {
    return this.at(0);
  }

  last(): StreamEntry | undefined {
    return this.at(this.length - 1);
  }

  /** Position (from the oldest) of the first entry newer than `id`. */
  indexAfter(id: StreamId): number {
    let lo = this.head;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareParsedIds(this.entries[mid]!.id, id) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo - this.head;
  }

  /** Position (from the oldest) of the first entry at or newer than `id`: how many are older. */
  indexAtOrAfter(id: StreamId): number {
    let lo = this.head;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareParsedIds(this.entries[mid]!.id, id) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo - this.head;
  }

  /** Up to `count` entries newer than `id` (all when `count` <= 0), oldest first. */
  after(id: StreamId, count: number): StreamEntry[] {
    const from = this.head + this.indexAfter(id);
    const to = count > 0 ? Math.min(this.entries.length, from + count) : this.entries.length;
    return this.entries.slice(from, to);
  }

  /** Entries newer than `id`. */
  countAfter(id: StreamId): number {
    return this.length - this.indexAfter(id);
  }

  /** Removes the `n` oldest entries and returns them. Pending records are left as they are (XTRIM). */
  removeOldest(n: number): StreamEntry[] {
    const count = Math.max(0, Math.min(n, this.length));
    const removed = this.entries.slice(this.head, this.head + count);
    for (const e of removed) this.byKey.delete(e.key);
    this.head += count;
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    return removed;
  }

  /** XGROUP CREATE; false when the group exists (BUSYGROUP). `$` starts after the last id. */
  createGroup(name: string, startId: '0' | '$'): boolean {
    if (this.groups.has(name)) return false;
    this.groups.set(name, {
      name,
      lastDeliveredId: startId === '$' ? this.lastId : ZERO_ID,
      pel: new Map(),
      consumers: new Map(),
    });
    return true;
  }
}

/** Looks up a consumer, creating it when missing, and marks it seen now (as XREADGROUP does). */
export function touchConsumer(group: ConsumerGroup, name: string, nowMs: number): GroupConsumer {
  let consumer = group.consumers.get(name);
  if (!consumer) {
    consumer = { name, seenTime: nowMs, pending: new Set() };
    group.consumers.set(name, consumer);
  }
  consumer.seenTime = nowMs;
  return consumer;
}

/** Hands a new entry to `consumer`: a PEL record with delivery count 1, owned by it. */
export function deliverNew(group: ConsumerGroup, consumer: GroupConsumer, entry: StreamEntry, nowMs: number): void {
  const previous = group.pel.get(entry.key);
  if (previous) group.consumers.get(previous.consumer)?.pending.delete(entry.key);
  group.pel.set(entry.key, {
    id: entry.id,
    key: entry.key,
    consumer: consumer.name,
    deliveryCount: 1,
    deliveryTime: nowMs,
  });
  consumer.pending.add(entry.key);
  if (compareParsedIds(entry.id, group.lastDeliveredId) > 0) group.lastDeliveredId = entry.id;
}

/** Moves a pending record to `consumer` (XCLAIM). */
export function transferPending(group: ConsumerGroup, record: PendingEntry, consumer: GroupConsumer): void {
  if (record.consumer === consumer.name) return;
  group.consumers.get(record.consumer)?.pending.delete(record.key);
  record.consumer = consumer.name;
  consumer.pending.add(record.key);
}

/** Drops a pending record (XACK, or XAUTOCLAIM of an entry that no longer exists). */
export function removePending(group: ConsumerGroup, key: string): boolean {
  const record = group.pel.get(key);
  if (!record) return false;
  group.pel.delete(key);
  group.consumers.get(record.consumer)?.pending.delete(key);
  return true;
}

/** True when `entry` is pending in, or not yet delivered to, some group. */
export function isUnacked(stream: MemoryStream, entry: StreamEntry): boolean {
  for (const group of stream.groups.values()) {
    if (group.pel.has(entry.key) || compareParsedIds(entry.id, group.lastDeliveredId) > 0) return true;
  }
  return false;
}
