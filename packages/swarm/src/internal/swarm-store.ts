import type { HashFields, TaskStatus } from '@agentbus/schema';

/**
 * The storage primitives the swarm needs, each atomic. The Redis store runs the multi-step ones
 * as Lua scripts; the memory store runs them as one synchronous step. All validation, decoding
 * and merging happens above this interface, so both stores share one set of semantics.
 */

/** A key as it sits in the store: its Redis TYPE and value. */
export type StoredValue =
  | { readonly type: 'none' }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'hash'; readonly value: HashFields }
  /** Any other TYPE (list, set, zset, stream): no swarm record reads it. */
  | { readonly type: 'other'; readonly actualType: string };

/** A sorted-set index entry to write beside a value. */
export interface IndexEntry {
  key: string;
  member: string;
  score: number;
  /** The least TTL the index gets (a longer one it has is kept). */
  ttlSeconds: number;
}

/** Where a task is indexed: one sorted set per status, and the claim leases of in_progress tasks. */
export interface TaskIndexKeys {
  key: string;
  id: string;
  /** The per-status index keys (sorted sets), by status. */
  indexKeys: Readonly<Record<TaskStatus, string>>;
  /**
   * The lease index (sorted set: id -> ms its `claimed_until` runs out). A task is in it exactly
   * while it is in_progress with a `claimed_until`.
   */
  leaseKey: string;
  /** Score of a new status index entry (ms: when the task entered its status). */
  score: number;
  /** The least TTL of an index written to (a task with a longer TTL of its own extends it). */
  indexTtlSeconds: number;
}

/**
 * One atomic state change of a task hash: checked against its current status and fields, then
 * applied, with the per-status index sets kept in step.
 */
export interface TaskTransition extends TaskIndexKeys {
  /** Statuses the task may be in (compared lower-case). */
  from: readonly TaskStatus[];
  /** Fields that must hold these values (`''` = empty or absent). */
  guards: Readonly<Record<string, string>>;
  /** When every one of these fields already holds its value, nothing is written (`already`). */
  already?: Readonly<Record<string, string>>;
  /** Fields to HSET; `status` among them moves the task to that status's index. */
  set: Readonly<Record<string, string>>;
  /** Fields to HDEL. */
  unset?: readonly string[];
  /** The task's TTL unless its own `ttl_seconds` field holds a whole number of seconds (see ownTtlSeconds). */
  ttlSeconds: number;
  /**
   * ISO time: a task that is in_progress with a `claimed_until` before it also passes the status
   * check and the `assignee` guard (its claimant is taken to be dead); `reclaimed_count` is then
   * incremented and `reclaimed_from` set to the assignee it had.
   */
  reclaimBefore?: string;
  /** Lease index score (ms) of the `claimed_until` this change sets. */
  leaseScore?: number;
}

/**
 * Marks a task needs_assist and appends its escalation envelope to the escalations stream, as
 * one step: only while the task hash is still exactly `expected` (the envelope was built from it).
 */
export interface TaskEscalation extends TaskIndexKeys {
  /** The whole task hash as read. */
  expected: HashFields;
  /** The mark (status needs_assist, escalation fields). */
  set: Readonly<Record<string, string>>;
  /** The task's TTL (its own, or the default). */
  ttlSeconds: number;
  /** The stream key the transport would XADD this envelope to (its topic partition and lane). */
  stream: string;
  /** The envelope's wire text, the `env` field of the entry. */
  entry: string;
  /**
   * Appends through the transport instead (the memory backend's streams live in the memory
   * transport, not in the swarm's store); resolves to the entry id.
   */
  append(): Promise<string>;
}

export type EscalationOutcome =
  | { readonly kind: 'applied'; readonly fields: HashFields; readonly streamId: string }
  /** The hash is not `expected` any more: nothing written. */
  | { readonly kind: 'changed' }
  | { readonly kind: 'missing' }
  | { readonly kind: 'wrongtype'; readonly actualType: string };

export type TransitionOutcome =
  /** Written; `fields` is the task after the change. */
  | { readonly kind: 'applied'; readonly fields: HashFields }
  /** Already in the wanted state: nothing written. */
  | { readonly kind: 'already'; readonly fields: HashFields }
  /** Its status is not one of `from`: nothing written (its index entry was corrected). */
  | { readonly kind: 'status'; readonly fields: HashFields }
  /** A guard did not hold: nothing written. */
  | { readonly kind: 'guard'; readonly fields: HashFields }
  /** No such key (any index entries of it were removed). */
  | { readonly kind: 'missing' }
  /** The key is not a hash. */
  | { readonly kind: 'wrongtype'; readonly actualType: string };

/** TYPE and TTL of a key, as remediation sees it; ttl -1 = none, -2 = key gone. */
export interface KeyInfo {
  type: string;
  ttl: number;
}

export interface SwarmStore {
  readonly backend: 'redis' | 'memory';
  /** Reads a key with its type, in one atomic step. */
  read(key: string): Promise<StoredValue>;
  /** `read` of many keys, in one round trip where the store can. */
  readMany(keys: readonly string[]): Promise<StoredValue[]>;
  /** HSET a new task hash with its TTL and index entry; false (nothing written) when the key exists. */
  createHash(key: string, fields: HashFields, ttlSeconds: number, index: IndexEntry): Promise<boolean>;
  /** SET a new string value with its TTL (and an index entry); false (nothing written) when the key exists. */
  createString(key: string, value: string, ttlSeconds: number, index?: IndexEntry): Promise<boolean>;
  /** SET with TTL, over whatever is there. */
  putString(key: string, value: string, ttlSeconds: number): Promise<void>;
  /**
   * SET `value` with TTL only while the key still holds exactly `expected` (type and value);
   * false when it changed. Replaces a hash with the string (legacy records are converted).
   */
  compareAndSet(key: string, expected: StoredValue, value: string, ttlSeconds: number): Promise<boolean>;
  transitionTask(transition: TaskTransition): Promise<TransitionOutcome>;
  escalateTask(escalation: TaskEscalation): Promise<EscalationOutcome>;
  /** Puts the task's index entries where its current status says (removes them when the task is gone). */
  reindexTask(task: TaskIndexKeys): Promise<void>;
  /** Members of a sorted-set index by score, oldest first: `count` from `offset`. */
  indexRange(key: string, offset: number, count: number): Promise<string[]>;
  /** `indexRange` of the members scored at most `maxScore`. */
  indexRangeUpTo(key: string, maxScore: number, offset: number, count: number): Promise<string[]>;
  indexRemove(key: string, members: readonly string[]): Promise<void>;
  /** SCAN for keys matching a glob pattern, a page at a time. */
  scan(pattern: string, count: number): AsyncIterable<string[]>;
  inspect(keys: readonly string[]): Promise<KeyInfo[]>;
  /** EXPIRE the key when it still has `type` and no TTL; true when set. */
  expireIfPersistent(key: string, type: string, ttlSeconds: number): Promise<boolean>;
  /**
   * Renames the key to `to` when it still has `type` and `to` does not exist; `to` gets the TTL
   * (0 = none). true when moved.
   */
  quarantine(key: string, type: string, to: string, ttlSeconds: number): Promise<boolean>;
}

/** Longest own TTL a task may carry (`ttl_seconds`): nine digits, as the scripts read it. */
export const MAX_TASK_TTL_SECONDS = 999_999_999;

/**
 * The TTL a task keeps on every write: its own `ttl_seconds` field when that is a whole number of
 * seconds (1 to 9 digits; Python agents write it too), else `fallback`. The scripts read it the same way.
 */
export function ownTtlSeconds(fields: HashFields, fallback: number): number {
  const own = fields.ttl_seconds ?? '';
  return /^\d{1,9}$/.test(own) && Number(own) > 0 ? Number(own) : fallback;
}

/** Canonical ISO text (`toISOString`), the only `claimed_until` a lease check trusts: such texts order as their times. */
export const LEASE_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
