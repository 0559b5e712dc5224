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
  ttlSeconds: number;
}

/**
 * One atomic state change of a task hash: checked against its current status and fields, then
 * applied, with the per-status index sets kept in step.
 */
export interface TaskTransition {
  key: string;
  id: string;
  /** The per-status index keys (sorted sets), by status. */
  indexKeys: Readonly<Record<TaskStatus, string>>;
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
  ttlSeconds: number;
  /** Score of the index entry (ms: when the task entered its status). */
  score: number;
  indexTtlSeconds: number;
}

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
  /** Puts the task's index entry where its current status says (removes it when the task is gone). */
  reindexTask(
    key: string,
    id: string,
    indexKeys: Readonly<Record<TaskStatus, string>>,
    score: number,
    indexTtlSeconds: number,
  ): Promise<void>;
  /** Members of a sorted-set index by score, oldest first: `count` from `offset`. */
  indexRange(key: string, offset: number, count: number): Promise<string[]>;
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
