import { AgentbusError, ERROR_CODES, TASK_STATUSES, type HashFields, type TaskStatus } from '@agentbus/schema';
import type { IndexEntry, StoredValue, SwarmStore, TaskTransition, TransitionOutcome } from '../internal/swarm-store';
import { createMemoryKeyspace, WrongTypeError, type MemoryKeyspace } from './memory-keyspace';

/**
 * The swarm data of the memory backend. Give several swarms the same store and they share
 * tasks, findings and the rest, as processes sharing one Redis do.
 */
export interface SwarmMemoryStore {
  /** The store's clock (ms since epoch): record expiry uses it. */
  readonly now: () => number;
}

export interface SwarmMemoryStoreOptions {
  /** Clock for expiries. Default `Date.now`. Inject one to test TTLs. */
  now?: () => number;
}

const keyspaces = new WeakMap<SwarmMemoryStore, MemoryKeyspace>();

/** A fresh, empty store (an empty Redis). */
export function createSwarmMemoryStore(options: SwarmMemoryStoreOptions = {}): SwarmMemoryStore {
  const keyspace = createMemoryKeyspace(options.now ?? Date.now);
  const store: SwarmMemoryStore = { now: keyspace.now };
  keyspaces.set(store, keyspace);
  return store;
}

/** The keyspace behind a store (tests plant raw keys through it). */
export function memoryKeyspace(store: SwarmMemoryStore): MemoryKeyspace {
  const keyspace = keyspaces.get(store);
  if (!keyspace) {
    throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, 'not a swarm memory store: create one with createSwarmMemoryStore()');
  }
  return keyspace;
}

/** Runs one store step; a WRONGTYPE is reported as Redis's error would be. */
function step<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    if (error instanceof WrongTypeError) {
      return Promise.reject(
        new AgentbusError(ERROR_CODES.WRONG_TYPE, `a key holds a value of another type than this operation needs (${error.message}). Another program writes under the same namespace? Run remediation or choose another namespace`, {
          cause: error,
        }),
      );
    }
    return Promise.reject(error);
  }
}

function read(ks: MemoryKeyspace, key: string): StoredValue {
  const type = ks.type(key);
  if (type === 'none') return { type };
  if (type === 'string') return { type, value: ks.get(key) ?? '' };
  if (type === 'hash') return { type, value: ks.hgetall(key) };
  return { type: 'other', actualType: type };
}

function same(a: StoredValue, b: StoredValue): boolean {
  if (a.type !== b.type) return false;
  if (a.type === 'string' && b.type === 'string') return a.value === b.value;
  if (a.type === 'hash' && b.type === 'hash') {
    const ak = Object.keys(a.value);
    return ak.length === Object.keys(b.value).length && ak.every((k) => a.value[k] === b.value[k]);
  }
  return a.type === 'none';
}

function place(ks: MemoryKeyspace, t: Pick<TaskTransition, 'id' | 'indexKeys' | 'score' | 'indexTtlSeconds'>, status: string, nx: boolean): void {
  for (const s of TASK_STATUSES) {
    const key = t.indexKeys[s];
    if (s === status) {
      if (ks.zadd(key, t.score, t.id, nx) === 1 || !nx) ks.expire(key, t.indexTtlSeconds);
    } else ks.zrem(key, [t.id]);
  }
}

/** Refuses before writing when an index key is not a sorted set, as the scripts do. */
function assertIndexes(ks: MemoryKeyspace, keys: readonly string[]): void {
  for (const key of keys) {
    const type = ks.type(key);
    if (type !== 'zset' && type !== 'none') {
      throw new WrongTypeError(`WRONGTYPE ${key} is a ${type}, not the sorted set of a swarm index (run remediation with apply)`);
    }
  }
}

function field(fields: HashFields, name: string): string {
  return fields[name] ?? '';
}

/** task-transition.lua, as one synchronous step. */
function transition(ks: MemoryKeyspace, t: TaskTransition, reindex: boolean): TransitionOutcome {
  assertIndexes(ks, TASK_STATUSES.map((s) => t.indexKeys[s]));
  const type = ks.type(t.key);
  if (type === 'none') {
    for (const s of TASK_STATUSES) ks.zrem(t.indexKeys[s], [t.id]);
    return { kind: 'missing' };
  }
  if (type !== 'hash') return { kind: 'wrongtype', actualType: type };
  const fields = ks.hgetall(t.key);
  const status = field(fields, 'status').toLowerCase();
  if (reindex) {
    place(ks, t, status, true);
    return { kind: 'applied', fields };
  }
  if (t.already) {
    const done = Object.entries(t.already).every(([name, want]) => {
      const have = field(fields, name);
      return (name === 'status' ? have.toLowerCase() : have) === want;
    });
    if (done) return { kind: 'already', fields };
  }
  if (!t.from.includes(status as TaskStatus)) {
    place(ks, t, status, true);
    return { kind: 'status', fields };
  }
  if (!Object.entries(t.guards).every(([name, want]) => field(fields, name) === want)) return { kind: 'guard', fields };
  if (Object.keys(t.set).length > 0) ks.hset(t.key, t.set);
  ks.hdel(t.key, t.unset ?? []);
  ks.expire(t.key, t.ttlSeconds);
  const next = t.set.status;
  place(ks, t, next ?? status, next === undefined);
  return { kind: 'applied', fields: ks.hgetall(t.key) };
}

function index(ks: MemoryKeyspace, entry: IndexEntry | undefined): void {
  if (!entry) return;
  ks.zadd(entry.key, entry.score, entry.member);
  ks.expire(entry.key, entry.ttlSeconds);
}

/** The swarm's data in memory: the same steps as the Redis store's scripts, each synchronous. */
export function createMemorySwarmStore(store: SwarmMemoryStore): SwarmStore {
  const ks = memoryKeyspace(store);
  return {
    backend: 'memory',
    read: (key) => step(() => read(ks, key)),
    readMany: (keys) => step(() => keys.map((k) => read(ks, k))),
    createHash: (key, fields, ttl, entry) =>
      step(() => {
        if (ks.exists(key)) return false;
        assertIndexes(ks, [entry.key]);
        ks.hset(key, fields);
        ks.expire(key, ttl);
        index(ks, entry);
        return true;
      }),
    createString: (key, value, ttl, entry) =>
      step(() => {
        if (ks.exists(key)) return false;
        assertIndexes(ks, entry ? [entry.key] : []);
        ks.set(key, value, ttl);
        index(ks, entry);
        return true;
      }),
    putString: (key, value, ttl) => step(() => ks.set(key, value, ttl)),
    compareAndSet: (key, expected, value, ttl) =>
      step(() => {
        if (expected.type === 'other' || !same(read(ks, key), expected)) return false;
        ks.set(key, value, ttl);
        return true;
      }),
    transitionTask: (t) => step(() => transition(ks, t, false)),
    reindexTask: (key, id, indexKeys, score, indexTtlSeconds) =>
      step(() => {
        transition(ks, { key, id, indexKeys, from: [], guards: {}, set: {}, ttlSeconds: 0, score, indexTtlSeconds }, true);
      }),
    indexRange: (key, offset, count) => step(() => ks.zrange(key, offset, offset + count - 1)),
    indexRemove: (key, members) => step(() => ks.zrem(key, members)),
    async *scan(pattern, count) {
      const keys = ks.keys(pattern);
      for (let i = 0; i < keys.length; i += count) yield keys.slice(i, i + count);
    },
    inspect: (keys) => step(() => keys.map((k) => ({ type: ks.type(k), ttl: ks.ttl(k) }))),
    expireIfPersistent: (key, type, ttl) =>
      step(() => {
        if (ks.type(key) !== type || ks.ttl(key) !== -1) return false;
        return ks.expire(key, ttl);
      }),
    quarantine: (key, type, to, ttl) =>
      step(() => {
        if (ks.type(key) !== type || ks.exists(to)) return false;
        ks.rename(key, to);
        if (ttl > 0) ks.expire(to, ttl);
        return true;
      }),
  };
}
