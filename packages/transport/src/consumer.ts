import { hostname } from 'node:os';
import {
  AgentbusError,
  decodeEnvelope,
  ERROR_CODES,
  isExpired,
  type EnvelopeCodecOptions,
  type Envelope,
  type KeyBuilder,
  type Priority,
} from '@agentbus/schema';
import { Fifo } from './internal/fifo';
import type { MembershipBackend, StreamBackend } from './internal/stream-backend';
import { DEFAULT_CONSUME_OPTIONS } from './options';
import { assignPartitions } from './partition';
import type {
  ConsumeOptions,
  Consumer,
  ConsumerCounters,
  DeliveryContext,
  Handler,
  Headers,
  RejectReason,
  Rejection,
  RejectionOutcome,
  TransportHooks,
} from './types';

interface Held {
  id: string;
  raw: string | null;
  headers?: string | null | undefined;
  deliveryCount: number;
}

/** Parses the `hdr` field; one that is not a JSON object counts as no headers. */
function parseHeaders(text: string | null | undefined): Headers | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Headers) : undefined;
  } catch {
    return undefined;
  }
}

function attemptOf(headers: Headers | undefined): number {
  const a = headers?.attempt;
  return typeof a === 'number' && Number.isInteger(a) && a >= 1 ? a : 1;
}

/** One lane of one partition: a stream, its weight and the entries read but not yet started. */
interface Slot {
  stream: string;
  lane: Priority;
  weight: number;
  /** Smooth weighted round robin state. */
  current: number;
  queue: Fifo<Held>;
  /** Ids buffered or in flight, so a reclaim does not hand us what we already hold. */
  held: Set<string>;
  reader: Reader;
}

/** Reads one partition's lanes with one blocking XREADGROUP (they share a hash slot). */
interface Reader {
  partition: number;
  topic: string;
  slots: Slot[];
  byStream: Map<string, Slot>;
  abort: AbortController;
  active: boolean;
  /** Ordered (partitioned) topics run one handler per partition at a time. */
  busy: boolean;
  loop?: Promise<void>;
  key: string;
}

export interface ConsumerDeps {
  streams: StreamBackend;
  membership: MembershipBackend;
  keys: KeyBuilder;
  codec: EnvelopeCodecOptions;
  hooks: TransportHooks;
  partitions: number;
}

let consumerSeq = 0;

/** A consumer name unique in the group: REDIS_CONSUMER, else host-pid-n. */
export function defaultConsumerName(): string {
  consumerSeq += 1;
  const base = process.env.REDIS_CONSUMER ?? `${hostname()}-${process.pid}`;
  return consumerSeq === 1 && process.env.REDIS_CONSUMER ? base : `${base}-${consumerSeq}`;
}

// Without an onRejected (the reliability package gives one with dead letters), what cannot
// ever succeed is acked and counted; what might succeed later stays pending.
const DEFAULT_REJECTION: Record<RejectReason, RejectionOutcome> = {
  invalid: 'ack',
  expired: 'ack',
  'bad-signature': 'ack',
  'handler-error': 'retry',
  poison: 'retry',
};

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref?.());

/**
 * A consumer-group consumer: reads lanes by weight, runs at most `concurrency` handlers, acks
 * after each handler resolved (batched), reclaims entries of dead consumers, reaps ghosts, and
 * shares the partitions of a partitioned topic with the other live consumers of its group.
 */
export function createConsumer(topic: string, handler: Handler, options: ConsumeOptions, deps: ConsumerDeps): Consumer {
  const o = { ...DEFAULT_CONSUME_OPTIONS, ...options };
  const name = options.consumer ?? defaultConsumerName();
  const group = options.group;
  const concurrency = Math.max(1, o.concurrency);
  const prefetch = Math.max(0, options.prefetch ?? concurrency);
  const lowWater = Math.max(1, Math.floor((concurrency + prefetch) / 2));
  const lanes = (Object.entries(options.lanes ?? DEFAULT_CONSUME_OPTIONS.lanes) as [Priority, number][])
    .filter(([, w]) => w > 0);
  if (lanes.length === 0) {
    throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, 'consume: `lanes` gives no lane a weight above 0');
  }
  if (!group) throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, 'consume: `group` is required');
  const { streams: backend, keys, hooks } = deps;
  const partitioned = deps.partitions > 1;
  const rejected = options.onRejected;
  const maxDeliveries = options.maxDeliveries;
  const verify = options.verify;
  const onError = options.onError;

  const counters: ConsumerCounters = { delivered: 0, acked: 0, failed: 0, expired: 0, invalid: 0, reclaimed: 0 };
  const readers = new Map<number, Reader>();
  let readerOrder: Reader[] = [];
  let rr = 0;
  let running = true;
  let inFlight = 0;
  let buffered = 0;
  let roomWaiters: Array<() => void> = [];
  let idleWaiters: Array<() => void> = [];
  const handlerAbort = new AbortController();
  let acks = new Map<string, string[]>();
  let ackScheduled = false;
  let ackFlush: Promise<void> = Promise.resolve();
  let claimTimer: NodeJS.Timeout | undefined;
  let memberTimer: NodeJS.Timeout | undefined;
  const membersKey = keys.topic(topic, 'members');
  const memberId = `${group}|${name}`;

  const partitionTopic = (p: number) => (partitioned ? keys.partition(topic, p) : topic);

  function report(error: unknown): void {
    if (onError) onError(error instanceof Error ? error : new Error(String(error)));
  }

  function makeReader(p: number): Reader {
    const t = partitionTopic(p);
    const reader: Reader = {
      partition: p,
      topic: t,
      slots: [],
      byStream: new Map(),
      abort: new AbortController(),
      active: true,
      busy: false,
      key: `${group}\u0000${name}\u0000${p}`,
    };
    for (const [lane, weight] of lanes) {
      const slot: Slot = {
        stream: keys.lane(t, lane),
        lane,
        weight,
        current: 0,
        queue: new Fifo(),
        held: new Set(),
        reader,
      };
      reader.slots.push(slot);
      reader.byStream.set(slot.stream, slot);
    }
    return reader;
  }

  async function ensureGroups(reader: Reader): Promise<void> {
    await Promise.all(reader.slots.map((s) => backend.ensureGroup(s.stream, group, o.startId)));
  }

  function room(): number {
    return concurrency + prefetch - inFlight - buffered;
  }

  function wake(list: Array<() => void>): Array<() => void> {
    for (const w of list) w();
    return [];
  }

  function enqueue(slot: Slot, entry: Held): void {
    if (slot.held.has(entry.id)) return;
    slot.held.add(entry.id);
    slot.queue.push(entry);
    buffered++;
  }

  /** The lane to take from next, by smooth weighted round robin over a reader's non-empty lanes. */
  function pick(reader: Reader): Slot | undefined {
    if (partitioned && reader.busy) return undefined;
    let best: Slot | undefined;
    let total = 0;
    for (const s of reader.slots) {
      if (s.queue.length === 0) continue;
      s.current += s.weight;
      total += s.weight;
      if (!best || s.current > best.current) best = s;
    }
    if (best) best.current -= total;
    return best;
  }

  let pumping = false;

  /**
   * Starts handlers while there is room. Re-entrant calls (a handler that finished synchronously
   * settles inside the loop) return at once and the outer loop goes on: no recursion.
   */
  function pump(): void {
    if (pumping) return;
    pumping = true;
    try {
      while (running && inFlight < concurrency && buffered > 0) {
        let slot: Slot | undefined;
        for (let i = 0; i < readerOrder.length && !slot; i++) {
          rr = (rr + 1) % readerOrder.length;
          slot = pick(readerOrder[rr]!);
        }
        if (!slot) return;
        buffered--;
        inFlight++;
        if (partitioned) slot.reader.busy = true;
        start(slot, slot.queue.shift()!);
      }
    } finally {
      pumping = false;
    }
  }

  function ack(slot: Slot, id: string): void {
    let ids = acks.get(slot.stream);
    if (!ids) {
      ids = [];
      acks.set(slot.stream, ids);
    }
    ids.push(id);
    counters.acked++;
    if (!ackScheduled) {
      ackScheduled = true;
      setImmediate(flushAcks);
    }
  }

  function flushAcks(): void {
    ackScheduled = false;
    if (acks.size === 0) return;
    const batch = acks;
    acks = new Map();
    // Chained so close() can await every flush; a failed ack leaves the entry pending, and
    // it is redelivered: at-least-once.
    ackFlush = ackFlush.then(() => backend.ack(group, batch).catch(report));
  }

  function context(slot: Slot, entry: Held): DeliveryContext {
    const headers = parseHeaders(entry.headers);
    return {
      topic,
      partition: slot.reader.partition,
      streamId: entry.id,
      deliveryCount: entry.deliveryCount,
      attempt: attemptOf(headers),
      headers,
      lane: slot.lane,
      group,
      consumer: name,
      signal: handlerAbort.signal,
    };
  }

  async function reject(
    slot: Slot,
    entry: Held,
    reason: RejectReason,
    error: Error,
    env: Envelope | undefined,
  ): Promise<void> {
    if (reason === 'expired') counters.expired++;
    else if (reason === 'invalid' || reason === 'bad-signature') counters.invalid++;
    else counters.failed++;
    const rejection: Rejection = {
      reason,
      error,
      raw: entry.raw ?? '',
      headers: entry.headers ?? null,
      attempt: attemptOf(parseHeaders(entry.headers)),
      topic,
      partition: slot.reader.partition,
      lane: slot.lane,
      stream: slot.stream,
      streamId: entry.id,
      deliveryCount: entry.deliveryCount,
      group,
      consumer: name,
      ...(env ? { envelope: env } : {}),
    };
    hooks.onReject?.(rejection);
    let outcome: RejectionOutcome = DEFAULT_REJECTION[reason];
    if (rejected) {
      try {
        outcome = await rejected(rejection);
      } catch (e) {
        // A failing rejection handler must not lose the message: leave it pending.
        report(e);
        outcome = 'retry';
      }
    }
    if (outcome === 'ack' && !handlerAbort.signal.aborted) ack(slot, entry.id);
  }

  function settle(slot: Slot, entry: Held): void {
    slot.held.delete(entry.id);
    inFlight--;
    slot.reader.busy = false;
    if (roomWaiters.length > 0) roomWaiters = wake(roomWaiters);
    if (inFlight === 0 && idleWaiters.length > 0) idleWaiters = wake(idleWaiters);
    pump();
  }

  function settleAfter(promise: Promise<void>, slot: Slot, entry: Held): void {
    promise.catch(report).then(() => settle(slot, entry));
  }

  function succeeded(slot: Slot, entry: Held, env: Envelope, ctx: DeliveryContext, started: number): void {
    // After close the entry stays pending and is reclaimed: a late ack could race the new owner.
    if (!handlerAbort.signal.aborted) {
      ack(slot, entry.id);
      hooks.onAck?.(topic, env, ctx, performance.now() - started);
    }
    settle(slot, entry);
  }

  function failed(slot: Slot, entry: Held, env: Envelope, error: unknown): void {
    settleAfter(reject(slot, entry, 'handler-error', error instanceof Error ? error : new Error(String(error)), env), slot, entry);
  }

  /**
   * Runs one delivery. A handler that returns synchronously is settled in the same tick, with no
   * promise allocated; only an async handler's promise gets continuations.
   */
  function start(slot: Slot, entry: Held): void {
    counters.delivered++;
    if (entry.raw === null) {
      const error = new AgentbusError(ERROR_CODES.INVALID_MESSAGE, `stream entry ${entry.id} has no env field`);
      settleAfter(reject(slot, entry, 'invalid', error, undefined), slot, entry);
      return;
    }
    const decoded = decodeEnvelope(entry.raw, deps.codec);
    if (!decoded.ok) {
      settleAfter(reject(slot, entry, 'invalid', decoded.error, undefined), slot, entry);
      return;
    }
    const env = decoded.value;
    if (maxDeliveries !== undefined && entry.deliveryCount > maxDeliveries) {
      const error = new AgentbusError(
        ERROR_CODES.INVALID_MESSAGE,
        `envelope ${env.id} was delivered ${entry.deliveryCount} times, over maxDeliveries ${maxDeliveries}: it keeps failing its consumer`,
      );
      settleAfter(reject(slot, entry, 'poison', error, env), slot, entry);
      return;
    }
    if (verify) {
      const bad = verify(env);
      if (bad) {
        settleAfter(reject(slot, entry, 'bad-signature', bad, env), slot, entry);
        return;
      }
    }
    if (isExpired(env)) {
      const error = new AgentbusError(
        ERROR_CODES.EXPIRED,
        `envelope ${env.id} expired ${Date.now() - env.ts - env.ttlMs!} ms ago (ttlMs ${env.ttlMs})`,
      );
      settleAfter(reject(slot, entry, 'expired', error, env), slot, entry);
      return;
    }
    const ctx = context(slot, entry);
    hooks.onDeliver?.(topic, env, ctx);
    const started = hooks.onAck ? performance.now() : 0;
    let result: void | Promise<void>;
    try {
      result = handler(env, ctx);
    } catch (error) {
      failed(slot, entry, env, error);
      return;
    }
    if (result && typeof (result as Promise<void>).then === 'function') {
      (result as Promise<void>).then(
        () => succeeded(slot, entry, env, ctx, started),
        (error: unknown) => failed(slot, entry, env, error),
      );
    } else {
      succeeded(slot, entry, env, ctx, started);
    }
  }

  async function readOwnPending(reader: Reader): Promise<void> {
    // Entries this consumer (same name) read before a restart and never acked.
    for (const slot of reader.slots) {
      let after = '0';
      while (running && reader.active) {
        const res = await backend.read({
          group,
          consumer: name,
          streams: [slot.stream],
          ids: [after],
          count: Math.max(1, Math.min(room(), 1000)),
          blockMs: 0,
        });
        const entries = res[0]?.entries ?? [];
        if (entries.length === 0) break;
        const counts = await backend.deliveryCounts(slot.stream, group, entries.map((e) => e.id));
        for (const e of entries) {
          if (e.raw === null) {
            // Trimmed under us (hard cap, counted there): nothing left to handle.
            ack(slot, e.id);
            continue;
          }
          enqueue(slot, { id: e.id, raw: e.raw, headers: e.headers, deliveryCount: counts.get(e.id) ?? 1 });
        }
        after = entries[entries.length - 1]!.id;
        pump();
        while (running && room() <= 0) await new Promise<void>((r) => roomWaiters.push(r));
      }
    }
  }

  async function readLoop(reader: Reader): Promise<void> {
    let backoff = 50;
    const streams = reader.slots.map((s) => s.stream);
    const ids = streams.map(() => '>');
    try {
      await ensureGroups(reader);
      await readOwnPending(reader);
    } catch (error) {
      report(error);
    }
    while (running && reader.active) {
      const free = room();
      // Read again once half the window is free, not at the first free slot: fewer, fuller
      // reads (one round trip per batch instead of one per handful of messages).
      if (free < lowWater || free <= 0) {
        await new Promise<void>((r) => roomWaiters.push(r));
        continue;
      }
      try {
        const results = await backend.read({
          group,
          consumer: name,
          streams,
          ids,
          count: free,
          blockMs: o.blockMs,
          signal: reader.abort.signal,
          readerKey: reader.key,
        });
        backoff = 50;
        for (const r of results) {
          const slot = reader.byStream.get(r.stream);
          if (!slot) continue;
          for (const e of r.entries) enqueue(slot, { id: e.id, raw: e.raw, headers: e.headers, deliveryCount: 1 });
        }
        pump();
      } catch (error) {
        if (!running || !reader.active) break;
        if (error instanceof AgentbusError && error.code === ERROR_CODES.NOT_FOUND) {
          // The stream or group was deleted under us: create it again.
          await ensureGroups(reader).catch(report);
          continue;
        }
        if (error instanceof AgentbusError && error.code === ERROR_CODES.CLOSED) break;
        report(error);
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 5_000);
      }
    }
  }

  function startReader(p: number): void {
    if (readers.has(p)) return;
    const reader = makeReader(p);
    readers.set(p, reader);
    readerOrder = [...readers.values()];
    reader.loop = readLoop(reader);
  }

  function stopReader(p: number): void {
    const reader = readers.get(p);
    if (!reader) return;
    reader.active = false;
    reader.abort.abort();
    readers.delete(p);
    // Buffered entries stay pending for us; they are handed on through reclaim.
    for (const s of reader.slots) {
      const dropped = s.queue.clear();
      buffered -= dropped.length;
      for (const d of dropped) s.held.delete(d.id);
    }
    readerOrder = [...readers.values()];
    backend.releaseReader?.(reader.key);
  }

  async function claimOnce(): Promise<void> {
    for (const reader of readerOrder) {
      for (const slot of reader.slots) {
        const free = room();
        if (!running || free <= 0) return;
        try {
          const claimed = await backend.claim(slot.stream, group, name, o.claimIdleMs, Math.min(free, 1000));
          let n = 0;
          for (const c of claimed) {
            if (slot.held.has(c.id)) continue;
            enqueue(slot, c);
            n++;
          }
          if (n > 0) {
            counters.reclaimed += n;
            hooks.onReclaim?.(topic, group, n);
            pump();
          }
          if (o.reapIdleMs > 0) await backend.reap(slot.stream, group, o.reapIdleMs);
        } catch (error) {
          report(error);
        }
      }
    }
  }

  async function rebalance(): Promise<void> {
    try {
      const ttl = o.membershipIntervalMs * 3;
      const all = await deps.membership.heartbeat(membersKey, memberId, Date.now(), ttl);
      const mine = all.filter((m) => m.startsWith(`${group}|`));
      const index = mine.indexOf(memberId);
      const owned = new Set(assignPartitions(deps.partitions, mine.length, index));
      if (!running) return;
      for (const p of [...readers.keys()]) if (!owned.has(p)) stopReader(p);
      for (const p of owned) startReader(p);
    } catch (error) {
      report(error);
    }
  }

  const readyPromise = (async () => {
    if (partitioned) {
      await rebalance();
      memberTimer = setInterval(() => void rebalance(), o.membershipIntervalMs);
      memberTimer.unref?.();
    } else {
      startReader(0);
      await ensureGroups(readers.get(0)!);
    }
    claimTimer = setInterval(() => void claimOnce(), o.claimIntervalMs);
    claimTimer.unref?.();
    void claimOnce();
  })();
  readyPromise.catch(report);

  return {
    topic,
    group,
    name,
    ready: () => readyPromise,
    inFlight: () => inFlight,
    counters: () => ({ ...counters }),
    async close(deadlineMs = 30_000) {
      if (!running) return;
      running = false;
      if (claimTimer) clearInterval(claimTimer);
      if (memberTimer) clearInterval(memberTimer);
      await readyPromise.catch(() => undefined);
      const loops = [...readers.values()].map((r) => r.loop);
      for (const p of [...readers.keys()]) stopReader(p);
      roomWaiters = wake(roomWaiters);
      if (inFlight > 0) {
        let timer: NodeJS.Timeout | undefined;
        const idle = new Promise<void>((r) => idleWaiters.push(r));
        const deadline = new Promise<void>((r) => {
          timer = setTimeout(r, deadlineMs);
        });
        await Promise.race([idle, deadline]);
        if (timer) clearTimeout(timer);
        if (inFlight > 0) handlerAbort.abort(new AgentbusError(ERROR_CODES.CLOSED, `consumer ${name} closed: deadline of ${deadlineMs} ms passed`));
      }
      flushAcks();
      await ackFlush;
      await Promise.all(loops);
      if (partitioned) await deps.membership.leave(membersKey, memberId);
    },
  };
}
