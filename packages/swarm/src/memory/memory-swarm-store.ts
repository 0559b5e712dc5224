import { AgentbusError, ERROR_CODES, TASK_STATUSES, type HashFields, type TaskStatus } from '@agentbus/schema';
import {
  LEASE_TIME_RE,
  ownTtlSeconds,
  type EscalationOutcome,
  type IndexEntry,
  type StoredValue,
  type SwarmStore,
  type TaskEscalation,
  type TaskIndexKeys,
  type TaskTransition,
  type TransitionOutcome,
} from '../internal/swarm-store';
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

/** Only ever lengthens, as the scripts' `extend`. */
function extend(ks: MemoryKeyspace, key: string, ttl: number): void {
  if (ks.ttl(key) < ttl) ks.expire(key, ttl);
}

/** The scripts' `place`: the status index of `status` only, and the lease index while in_progress with a claimed_until. */
function place(ks: MemoryKeyspace, t: TaskIndexKeys, status: string, nx: boolean, taskTtl: number, leaseScore?: number): void {
  const ttl = Math.max(t.indexTtlSeconds, taskTtl);
  for (const s of TASK_STATUSES) {
    const key = t.indexKeys[s];
    if (s === status) {
      if (ks.zadd(key, t.score, t.id, nx) === 1 || !nx) extend(ks, key, ttl);
    } else ks.zrem(key, [t.id]);
  }
  if (status !== 'in_progress' || field(ks.hgetall(t.key), 'claimed_until') === '') ks.zrem(t.leaseKey, [t.id]);
  else if (leaseScore !== undefined) {
    ks.zadd(t.leaseKey, leaseScore, t.id);
    extend(ks, t.leaseKey, ttl);
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

function indexKeysOf(t: TaskIndexKeys): string[] {
  return [...TASK_STATUSES.map((s) => t.indexKeys[s]), t.leaseKey];
}

function leaseExpired(t: TaskTransition, fields: HashFields, status: string): boolean {
  const until = field(fields, 'claimed_until');
  return t.reclaimBefore !== undefined && status === 'in_progress' && LEASE_TIME_RE.test(until) && until < t.reclaimBefore;
}

function reclaimFields(fields: HashFields): HashFields {
  const count = /^\d+$/.test(field(fields, 'reclaimed_count')) ? Number(fields.reclaimed_count) : 0;
  return { reclaimed_from: field(fields, 'assignee'), reclaimed_count: String(count + 1) };
}

/** task-transition.lua, as one synchronous step. */
function transition(ks: MemoryKeyspace, t: TaskTransition, reindex: boolean): TransitionOutcome {
  assertIndexes(ks, indexKeysOf(t));
  const type = ks.type(t.key);
  if (type === 'none') {
    for (const key of indexKeysOf(t)) ks.zrem(key, [t.id]);
    return { kind: 'missing' };
  }
  if (type !== 'hash') return { kind: 'wrongtype', actualType: type };
  const fields = ks.hgetall(t.key);
  const ttl = ownTtlSeconds(fields, t.ttlSeconds);
  const status = field(fields, 'status').toLowerCase();
  if (reindex) {
    place(ks, t, status, true, ttl);
    return { kind: 'applied', fields };
  }
  if (t.already) {
    const done = Object.entries(t.already).every(([name, want]) => {
      const have = field(fields, name);
      return (name === 'status' ? have.toLowerCase() : have) === want;
    });
    if (done) return { kind: 'already', fields };
  }
  const reclaiming = leaseExpired(t, fields, status);
  if (!reclaiming && !t.from.includes(status as TaskStatus)) {
    place(ks, t, status, true, ttl);
    return { kind: 'status', fields };
  }
  const guarded = Object.entries(t.guards).every(([name, want]) => field(fields, name) === want || (reclaiming && name === 'assignee'));
  if (!guarded) return { kind: 'guard', fields };
  ks.hset(t.key, { ...(reclaiming ? reclaimFields(fields) : {}), ...t.set });
  ks.hdel(t.key, t.unset ?? []);
  ks.expire(t.key, ttl);
  const next = t.set.status;
  place(ks, t, next ?? status, next === undefined, ttl, t.leaseScore);
  return { kind: 'applied', fields: ks.hgetall(t.key) };
}

/** The check of escalate.lua; undefined when the escalation may go ahead. */
function checkEscalation(ks: MemoryKeyspace, e: TaskEscalation): EscalationOutcome | undefined {
  assertIndexes(ks, indexKeysOf(e));
  const type = ks.type(e.key);
  if (type === 'none') return { kind: 'missing' };
  if (type !== 'hash') return { kind: 'wrongtype', actualType: type };
  return same({ type: 'hash', value: ks.hgetall(e.key) }, { type: 'hash', value: e.expected }) ? undefined : { kind: 'changed' };
}

/** The writes of escalate.lua after its XADD. */
function markEscalated(ks: MemoryKeyspace, e: TaskEscalation): HashFields {
  ks.hset(e.key, e.set);
  ks.expire(e.key, e.ttlSeconds);
  place(ks, e, e.set.status ?? 'needs_assist', false, e.ttlSeconds);
  return ks.hgetall(e.key);
}

function index(ks: MemoryKeyspace, entry: IndexEntry | undefined): void {
  if (!entry) return;
  ks.zadd(entry.key, entry.score, entry.member);
  extend(ks, entry.key, entry.ttlSeconds);
}

/** Per store: the task changes in flight, by task key. */
const inFlight = new WeakMap<MemoryKeyspace, Map<string, Promise<unknown>>>();

/**
 * Runs the changes of one task one after another. An escalation waits for the transport between
 * its check and its mark; every other change of that task waits for it, as no command runs
 * inside a Redis script.
 */
function exclusive<T>(ks: MemoryKeyspace, key: string, fn: () => Promise<T>): Promise<T> {
  let queues = inFlight.get(ks);
  if (!queues) {
    queues = new Map();
    inFlight.set(ks, queues);
  }
  const run = (queues.get(key) ?? Promise.resolve()).then(fn, fn);
  const tail = run.catch(() => undefined);
  queues.set(key, tail);
  void tail.then(() => {
    if (queues.get(key) === tail) queues.delete(key);
  });
  return run;
}

/**
 * The swarm's data in memory: the same steps as the Redis store's scripts, each synchronous
 * (an escalation's, around the transport's append, exclusive per task).
 */
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
    transitionTask: (t) => exclusive(ks, t.key, () => step(() => transition(ks, t, false))),
    escalateTask: (e) =>
      exclusive(ks, e.key, async () => {
        const refused = await step(() => checkEscalation(ks, e));
        if (refused) return refused;
        const streamId = await e.append();
        return step(() => ({ kind: 'applied', fields: markEscalated(ks, e), streamId }) as const);
      }),
    reindexTask: (t) =>
      exclusive(ks, t.key, () =>
        step(() => {
          transition(ks, { ...t, from: [], guards: {}, set: {}, ttlSeconds: 0 }, true);
        }),
      ),
    indexRange: (key, offset, count) => step(() => ks.zrange(key, offset, offset + count - 1)),
    indexRangeUpTo: (key, maxScore, offset, count) => step(() => ks.zrangeUpTo(key, maxScore, offset, count)),
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
