import type { RawMessageHandler } from '../internal/stream-backend';
import type { MemoryStream } from './memory-stream';

/**
 * The data several memory backends share, as several processes share one Redis: streams, dedupe
 * records, counters, membership sets and Pub/Sub subscriptions. Give the same store to the
 * backends of several transports in one process and they see each other's messages.
 */
export interface MemoryStore {
  /** The store's clock (ms since epoch): stream ids, idle times and expiries use it. */
  readonly now: () => number;
}

export interface MemoryStoreOptions {
  /** Clock for ids, idle times and expiries. Default `Date.now`. Inject one to test time. */
  now?: () => number;
}

/** A string key with an optional expiry (`SET ... PX`). */
interface StringValue {
  value: string;
  /** Expires once the clock is past this (ms); null = never. */
  expiresAt: number | null;
}

interface SortedSet {
  members: Map<string, number>;
  expiresAt: number | null;
}

/** A blocked XREADGROUP: tried again whenever one of its streams gets an entry. */
export interface BlockedRead {
  readonly streams: ReadonlySet<string>;
  /** The backend that issued it, so closing that backend wakes just its reads. */
  readonly owner: object;
  /** Serves the read if there is something now; true when it was served (and resolved). */
  tryServe(): boolean;
  /** Resolves the read with nothing (timeout, abort, close). */
  wake(): void;
}

/** Subscribers by channel or pattern: per backend (a "connection") its handlers. */
export type SubscriberMap = Map<string, Map<object, Set<RawMessageHandler>>>;

/** What a store holds. Internal to the memory backends. */
export interface StoreState {
  readonly now: () => number;
  readonly streams: Map<string, MemoryStream>;
  readonly strings: Map<string, StringValue>;
  readonly sortedSets: Map<string, SortedSet>;
  /** In the order they blocked: the first blocked is served first, like Redis. */
  readonly blocked: Set<BlockedRead>;
  readonly channels: SubscriberMap;
  readonly patterns: SubscriberMap;
  /** `strings.size` after the last sweep of expired strings; the next sweep runs at twice it. */
  sweptAt: number;
}

const states = new WeakMap<MemoryStore, StoreState>();

/** A fresh, empty store (an empty Redis). */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const now = options.now ?? Date.now;
  const store: MemoryStore = { now };
  states.set(store, {
    now,
    streams: new Map(),
    strings: new Map(),
    sortedSets: new Map(),
    blocked: new Set(),
    channels: new Map(),
    patterns: new Map(),
    sweptAt: 0,
  });
  return store;
}

/** The data behind a store. */
export function storeState(store: MemoryStore): StoreState {
  const state = states.get(store);
  if (!state) throw new TypeError('not a memory store: create one with createMemoryStore()');
  return state;
}

function live<T extends { expiresAt: number | null }>(map: Map<string, T>, key: string, nowMs: number): T | undefined {
  const v = map.get(key);
  // Redis expires a key once the clock is past its expiry time.
  if (v && v.expiresAt !== null && nowMs > v.expiresAt) {
    map.delete(key);
    return undefined;
  }
  return v;
}

/** GET. */
export function getString(state: StoreState, key: string, nowMs: number): string | undefined {
  return live(state.strings, key, nowMs)?.value;
}

/** Fewest strings before expired ones are swept: small stores are not worth a pass. */
const SWEEP_MIN = 1_024;

/**
 * Removes expired strings once the map doubled since the last sweep. Dedupe records are written
 * once and never read again, so expiring them only on read (as `live` does) would keep every
 * record of every publish; sweeping at each doubling costs O(1) amortised per SET and keeps at
 * most about twice the live records, as Redis's active expiry does.
 */
function sweepExpired(state: StoreState, nowMs: number): void {
  if (state.strings.size < Math.max(SWEEP_MIN, state.sweptAt * 2)) return;
  for (const [key, v] of state.strings) {
    if (v.expiresAt !== null && nowMs > v.expiresAt) state.strings.delete(key);
  }
  state.sweptAt = state.strings.size;
}

/** SET key value [PX ttlMs]. */
export function setString(state: StoreState, key: string, value: string, nowMs: number, ttlMs?: number): void {
  state.strings.set(key, { value, expiresAt: ttlMs !== undefined && ttlMs > 0 ? nowMs + ttlMs : null });
  sweepExpired(state, nowMs);
}

/** INCRBY (keeps the key's expiry); returns the new value. */
export function incrementBy(state: StoreState, key: string, by: number, nowMs: number): number {
  const current = live(state.strings, key, nowMs);
  const next = Number(current?.value ?? 0) + by;
  state.strings.set(key, { value: String(next), expiresAt: current?.expiresAt ?? null });
  return next;
}

/** A sorted set, created when missing; null when missing and `create` is false. */
export function sortedSet(state: StoreState, key: string, nowMs: number, create: boolean): SortedSet | null {
  let set = live(state.sortedSets, key, nowMs);
  if (!set && create) {
    set = { members: new Map(), expiresAt: null };
    state.sortedSets.set(key, set);
  }
  return set ?? null;
}

/** Tries every blocked read waiting on `stream`, first blocked first (Redis serves them in that order). */
export function signalStream(state: StoreState, stream: string): void {
  for (const read of [...state.blocked]) {
    if (read.streams.has(stream)) read.tryServe();
  }
}
