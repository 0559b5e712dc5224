import type {
  AddOutcome,
  AddRequest,
  ClaimPage,
  LaneReadRequest,
  LaneReadResult,
  RawEntry,
  ReadRequest,
  ReadResult,
  StreamBackend,
  WaitRequest,
} from '../internal/stream-backend';
import { pendingFrom, readWithinBudget, toRaw } from './memory-lane-read';
import type { GroupInfo, HealthReport, LaneStats, RetentionPolicy, TrimResult } from '../types';
import { closedError } from '../errors';
import { invalidArgument, noGroupError } from './memory-errors';
import {
  createMemoryStore,
  getString,
  setString,
  signalStream,
  storeState,
  type BlockedRead,
  type MemoryStore,
} from './memory-store';
import {
  MemoryStream,
  deliverNew,
  removePending,
  touchConsumer,
  transferPending,
  type ConsumerGroup,
} from './memory-stream';
import { compareParsedIds, formatStreamId, parseStreamId, type StreamId } from '../internal/stream-id';
import { trimMemoryStream } from './memory-trim';

export interface MemoryStreamBackendOptions {
  /** The data to share with other memory backends (as processes share a Redis). Default: a fresh store. */
  store?: MemoryStore;
  /** Clock for stream ids, delivery and idle times, dedupe expiry. Default: the store's clock. */
  now?: () => number;
}

/** One stream of a read, resolved before anything is served (so a NOGROUP changes nothing). */
interface ReadTarget {
  name: string;
  stream: MemoryStream;
  group: ConsumerGroup;
  /** Null for `>` (new entries), else the id after which this consumer's pending ones are read. */
  after: StreamId | null;
}

const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));


/**
 * The stream primitives in memory, with the semantics of the Redis commands and scripts the Redis
 * backend runs (XADD, XREADGROUP, XACK, XAUTOCLAIM, XPENDING, XINFO, the publish, trim and reap
 * scripts), so the producer and consumer on top behave the same on both. Backends created with the
 * same `store` share their data, like processes sharing one Redis.
 */
export function createMemoryStreamBackend(
  options: MemoryStreamBackendOptions = {},
): StreamBackend {
  const store = options.store ?? createMemoryStore(options.now ? { now: options.now } : {});
  const state = storeState(store);
  const clock = options.now ?? state.now;
  const now = (): number => Math.floor(clock());
  /** Identity of this backend ("connection") for its blocked reads. */
  const owner = {};
  let closed = false;

  function assertOpen(): void {
    if (closed) throw closedError('memory stream backend');
  }

  function streamFor(name: string): MemoryStream {
    let stream = state.streams.get(name);
    if (!stream) {
      stream = new MemoryStream();
      state.streams.set(name, stream);
    }
    return stream;
  }

  function groupOf(streamName: string, groupName: string): { stream: MemoryStream; group: ConsumerGroup } {
    const stream = state.streams.get(streamName);
    const group = stream?.groups.get(groupName);
    if (!stream || !group) throw noGroupError(streamName, groupName);
    return { stream, group };
  }

  /** The publish script: dedupe check, budget check, XADD, dedupe record; all at once. */
  function addOne(req: AddRequest): AddOutcome {
    const t = now();
    const window = req.dedupeWindowMs ?? 0;
    const dedupeKey = window > 0 ? req.dedupeKey : undefined;
    if (dedupeKey !== undefined) {
      const seen = getString(state, dedupeKey, t);
      if (seen !== undefined) return { kind: 'duplicate', streamId: seen };
    }
    const budget = req.maxBacklog ?? 0;
    if (budget > 0) {
      let length = 0;
      for (const name of req.budgetStreams ?? [req.stream]) length += state.streams.get(name)?.length ?? 0;
      if (length >= budget) return { kind: 'backpressure', length };
    }
    const entry = streamFor(req.stream).append(req.raw, t, req.headers ?? null);
    if (dedupeKey !== undefined) setString(state, dedupeKey, entry.key, t, window);
    return { kind: 'added', streamId: entry.key };
  }

  function resolveTargets(req: ReadRequest): ReadTarget[] {
    if (req.streams.length === 0 || req.streams.length !== req.ids.length) {
      throw invalidArgument('a read needs one id per stream');
    }
    return req.streams.map((name, i) => {
      const id = req.ids[i]!;
      const { stream, group } = groupOf(name, req.group);
      return { name, stream, group, after: id === '>' ? null : parseStreamId(id) };
    });
  }

  /** XREADGROUP against the current data. */
  function serve(targets: readonly ReadTarget[], req: ReadRequest): ReadResult[] {
    const t = now();
    const results: ReadResult[] = [];
    for (const target of targets) {
      const { stream, group, after } = target;
      const consumer = touchConsumer(group, req.consumer, t);
      if (after === null) {
        const entries = stream.after(group.lastDeliveredId, req.count);
        if (entries.length === 0) continue;
        for (const entry of entries) deliverNew(group, consumer, entry, t);
        results.push({ stream: target.name, entries: entries.map(toRaw) });
        continue;
      }
      // History: this consumer's own pending entries after `after`. A delivered entry counts as
      // one more delivery; one whose stream entry is gone comes back with no fields.
      const entries: RawEntry[] = [];
      for (const record of group.pel.values()) {
        if (req.count > 0 && entries.length >= req.count) break;
        if (record.consumer !== consumer.name) continue;
        if (compareParsedIds(record.id, after) <= 0) continue;
        const entry = stream.get(record.key);
        if (entry) {
          record.deliveryCount++;
          record.deliveryTime = t;
          entries.push(toRaw(entry));
        } else {
          entries.push({ id: record.key, raw: null });
        }
      }
      // A history read always answers for its stream, also with no entries.
      results.push({ stream: target.name, entries });
    }
    return results;
  }

  function block(targets: readonly ReadTarget[], req: ReadRequest): Promise<ReadResult[]> {
    return new Promise<ReadResult[]>((resolve) => {
      const finish = (results: ReadResult[]): void => {
        if (!state.blocked.delete(read)) return;
        clearTimeout(timer);
        req.signal?.removeEventListener('abort', onAbort);
        resolve(results);
      };
      const onAbort = (): void => finish([]);
      const read: BlockedRead = {
        streams: new Set(req.streams),
        owner,
        tryServe() {
          const results = serve(targets, req);
          if (results.length === 0) return false;
          finish(results);
          return true;
        },
        wake: () => finish([]),
      };
      state.blocked.add(read);
      const timer = setTimeout(() => finish([]), req.blockMs);
      req.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  return {
    async add(req) {
      assertOpen();
      const outcome = addOne(req);
      if (outcome.kind === 'added') signalStream(state, req.stream);
      return outcome;
    },

    async addBatch(reqs) {
      assertOpen();
      const outcomes = reqs.map(addOne);
      // Blocked readers are served once the whole batch is in (as after a MULTI or a script).
      const touched = new Set(reqs.filter((_, i) => outcomes[i]!.kind === 'added').map((r) => r.stream));
      for (const stream of touched) signalStream(state, stream);
      return outcomes;
    },

    async ensureGroup(stream, group, startId) {
      assertOpen();
      streamFor(stream).createGroup(group, startId);
    },

    async read(req) {
      assertOpen();
      if (req.signal?.aborted) return [];
      const targets = resolveTargets(req);
      const results = serve(targets, req);
      // Redis blocks only when every id is `>` and nothing was there; history reads answer at once.
      const history = targets.some((t) => t.after !== null);
      if (results.length > 0 || history || req.blockMs <= 0) return results;
      return block(targets, req);
    },

    async ack(group, acks) {
      assertOpen();
      const parsed = [...acks].map(([stream, ids]) => [stream, ids.map((id) => formatStreamId(parseStreamId(id)))] as const);
      for (const [streamName, keys] of parsed) {
        const g = state.streams.get(streamName)?.groups.get(group);
        if (!g) continue;
        for (const key of keys) removePending(g, key);
      }
    },

    async readLanes(req: LaneReadRequest): Promise<LaneReadResult> {
      assertOpen();
      if (req.fence && getString(state, req.fence.key, now()) !== req.fence.token) return { kind: 'fenced' };
      const targets = resolveTargets({ ...req, ids: req.streams.map(() => '>'), count: 0, blockMs: 0 });
      return readWithinBudget(targets, req, now());
    },

    async waitForEntries(req: WaitRequest): Promise<void> {
      assertOpen();
      if (req.signal?.aborted) return;
      const after = req.after.map(parseStreamId);
      const ready = () =>
        req.streams.some((name, i) => (state.streams.get(name)?.countAfter(after[i]!) ?? 0) > 0);
      if (ready()) return;
      await new Promise<void>((resolve) => {
        const finish = (): void => {
          if (!state.blocked.delete(wait)) return;
          clearTimeout(timer);
          req.signal?.removeEventListener('abort', finish);
          resolve();
        };
        const wait: BlockedRead = {
          streams: new Set(req.streams),
          owner,
          tryServe: () => (ready() ? (finish(), true) : false),
          wake: finish,
        };
        state.blocked.add(wait);
        const timer = setTimeout(finish, req.blockMs);
        req.signal?.addEventListener('abort', finish, { once: true });
      });
    },

    async lease(streamName, groupName, consumerName, ids, mode) {
      assertOpen();
      const group = state.streams.get(streamName)?.groups.get(groupName);
      const t = now();
      const lost: string[] = [];
      for (const id of ids) {
        const record = group?.pel.get(formatStreamId(parseStreamId(id)));
        if (!group || !record || record.consumer !== consumerName) {
          lost.push(id);
          continue;
        }
        if (mode === 'ack') removePending(group, record.key);
        else record.deliveryTime = t;
      }
      return lost;
    },

    async claim(streamName, groupName, consumerName, minIdleMs, count, cursor): Promise<ClaimPage> {
      assertOpen();
      if (!Number.isInteger(count) || count < 1) throw invalidArgument(`claim count ${count}: must be > 0`);
      const { stream, group } = groupOf(streamName, groupName);
      const t = now();
      const minIdle = Math.max(0, minIdleMs);
      const page: ClaimPage = { entries: [], next: '0-0', deleted: [] };
      const records = pendingFrom(group, parseStreamId(cursor));
      let scanned = 0;
      for (const record of records) {
        // XAUTOCLAIM looks at COUNT x 10 records at most, then hands back a cursor.
        if (scanned >= count * 10 || page.entries.length >= count) {
          page.next = record.key;
          return page;
        }
        scanned++;
        const entry = stream.get(record.key);
        if (!entry) {
          // Trimmed or deleted: XAUTOCLAIM drops it from the PEL (whatever its idle time).
          removePending(group, record.key);
          page.deleted.push(record.key);
          continue;
        }
        if (minIdle > 0 && t - record.deliveryTime < minIdle) continue;
        transferPending(group, record, touchConsumer(group, consumerName, t));
        record.deliveryTime = t;
        record.deliveryCount++;
        page.entries.push({ ...toRaw(entry), deliveryCount: record.deliveryCount });
      }
      return page;
    },

    async takeOver(streamName, groupName, consumerName, cursor, count) {
      assertOpen();
      const { group } = groupOf(streamName, groupName);
      const t = now();
      let moved = 0;
      for (const record of pendingFrom(group, parseStreamId(cursor))) {
        if (moved >= count) return { next: record.key, moved };
        transferPending(group, record, touchConsumer(group, consumerName, t));
        record.deliveryTime = t;
        moved++;
      }
      return { next: '0-0', moved };
    },

    async deliveryCounts(streamName, groupName, ids) {
      assertOpen();
      const { group } = groupOf(streamName, groupName);
      const counts = new Map<string, number>();
      for (const id of ids) {
        const record = group.pel.get(formatStreamId(parseStreamId(id)));
        if (record) counts.set(id, record.deliveryCount);
      }
      return counts;
    },

    async reap(streamName, groupName, idleMs, keep) {
      assertOpen();
      const group = state.streams.get(streamName)?.groups.get(groupName);
      if (!group) return [];
      const t = now();
      const removed: string[] = [];
      for (const consumer of group.consumers.values()) {
        if (consumer.name !== keep && consumer.pending.size === 0 && t - consumer.seenTime >= idleMs) {
          group.consumers.delete(consumer.name);
          removed.push(consumer.name);
        }
      }
      return removed;
    },

    async info(streamName): Promise<Omit<LaneStats, 'lane'>> {
      assertOpen();
      const stream = state.streams.get(streamName);
      if (!stream) return { stream: streamName, length: 0, firstId: null, lastId: null, groups: [] };
      const t = now();
      const groups: GroupInfo[] = [...stream.groups.values()]
        .sort((a, b) => byteOrder(a.name, b.name))
        .map((g) => ({
          name: g.name,
          consumers: [...g.consumers.values()]
            .sort((a, b) => byteOrder(a.name, b.name))
            .map((c) => ({ name: c.name, pending: c.pending.size, idleMs: Math.max(0, t - c.seenTime) })),
          pending: g.pel.size,
          lag: stream.countAfter(g.lastDeliveredId),
          lastDeliveredId: formatStreamId(g.lastDeliveredId),
        }));
      return {
        stream: streamName,
        length: stream.length,
        firstId: stream.first()?.key ?? null,
        lastId: stream.last()?.key ?? null,
        groups,
      };
    },

    async trim(streamName, policy: RetentionPolicy, nowMs, droppedKey): Promise<TrimResult> {
      assertOpen();
      const { trimmed, droppedUnacked } = trimMemoryStream(state, streamName, policy, nowMs, droppedKey, now());
      return { trimmed, droppedUnacked };
    },

    async dropped(droppedKey) {
      assertOpen();
      return Number(getString(state, droppedKey, now()) ?? 0);
    },

    async health(): Promise<HealthReport> {
      assertOpen();
      return { ok: true, backend: 'memory', latencyMs: 0, mode: 'standalone' };
    },

    async close() {
      if (closed) return;
      closed = true;
      for (const read of [...state.blocked]) if (read.owner === owner) read.wake();
    },

    async tryLock(key, token, ttlMs) {
      assertOpen();
      const t = now();
      if (getString(state, key, t) !== undefined) return false;
      setString(state, key, token, t, ttlMs);
      return true;
    },
  };
}
