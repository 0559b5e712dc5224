/**
 * A tiny Redis keyspace in memory: strings, hashes and sorted sets with expiry, plus opaque
 * values of other types (so tests can plant a list where a hash belongs). Enough of Redis for
 * the swarm's memory store, with Redis's semantics for TYPE, TTL, EXPIRE, RENAME and SCAN.
 */

type Value =
  | { type: 'string'; value: string }
  | { type: 'hash'; value: Map<string, string> }
  | { type: 'zset'; value: Map<string, number> }
  | { type: 'list'; value: string[] };

type Entry = Value & { expiresAt: number | null };

export interface MemoryKeyspace {
  readonly now: () => number;
  /** TYPE: `none` when missing or expired. */
  type(key: string): string;
  /** TTL in whole seconds (rounded like Redis), -1 without one, -2 when missing. */
  ttl(key: string): number;
  exists(key: string): boolean;
  /** EXPIRE; false when the key is missing. */
  expire(key: string, seconds: number): boolean;
  /** PERSIST. */
  persist(key: string): void;
  del(key: string): void;
  rename(from: string, to: string): void;
  /** GET; undefined when missing; throws WRONGTYPE for another type. */
  get(key: string): string | undefined;
  /** SET, dropping any TTL unless one is given. */
  set(key: string, value: string, ttlSeconds?: number): void;
  /** HGETALL; {} when missing. */
  hgetall(key: string): Record<string, string>;
  /** HSET (keeps the TTL). */
  hset(key: string, fields: Record<string, string>): void;
  hdel(key: string, fields: readonly string[]): void;
  /** ZADD; `nx`: only new members. Returns the number added. */
  zadd(key: string, score: number, member: string, nx?: boolean): number;
  zrem(key: string, members: readonly string[]): void;
  /** ZRANGE by rank (score, then member). */
  zrange(key: string, start: number, stop: number): string[];
  /** ZRANGEBYSCORE key -inf max LIMIT offset count. */
  zrangeUpTo(key: string, max: number, offset: number, count: number): string[];
  /** RPUSH (for planting keys of another type in tests). */
  rpush(key: string, values: readonly string[]): void;
  /** Live keys matching a Redis glob pattern (`*`, `?`). */
  keys(pattern: string): string[];
}

export class WrongTypeError extends Error {
  constructor(message = 'WRONGTYPE Operation against a key holding the wrong kind of value') {
    super(message);
  }
}

function globRegExp(pattern: string): RegExp {
  let re = '';
  for (const ch of pattern) {
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

/** A sorted set's members in Redis order: by score, then member. */
function sortedEntries(e: { value: Map<string, number> } | undefined): Array<[string, number]> {
  if (!e) return [];
  return [...e.value.entries()].sort(([am, as], [bm, bs]) => as - bs || (am < bm ? -1 : am > bm ? 1 : 0));
}

export function createMemoryKeyspace(now: () => number = Date.now): MemoryKeyspace {
  const data = new Map<string, Entry>();

  function live(key: string): Entry | undefined {
    const e = data.get(key);
    if (e && e.expiresAt !== null && now() > e.expiresAt) {
      data.delete(key);
      return undefined;
    }
    return e;
  }

  function typed<T extends Value['type']>(key: string, type: T, create: () => Extract<Value, { type: T }>): Extract<Entry, { type: T }> {
    const e = live(key);
    if (e) {
      if (e.type !== type) throw new WrongTypeError();
      return e as Extract<Entry, { type: T }>;
    }
    const fresh = { ...create(), expiresAt: null } as Extract<Entry, { type: T }>;
    data.set(key, fresh);
    return fresh;
  }

  function peek<T extends Value['type']>(key: string, type: T): Extract<Entry, { type: T }> | undefined {
    const e = live(key);
    if (e && e.type !== type) throw new WrongTypeError();
    return e as Extract<Entry, { type: T }> | undefined;
  }

  /** Redis deletes a hash or sorted set that became empty. */
  function dropIfEmpty(key: string, e: { value: Map<string, unknown> }): void {
    if (e.value.size === 0) data.delete(key);
  }

  return {
    now,
    type: (key) => live(key)?.type ?? 'none',
    ttl(key) {
      const e = live(key);
      if (!e) return -2;
      if (e.expiresAt === null) return -1;
      return Math.round((e.expiresAt - now()) / 1000);
    },
    exists: (key) => live(key) !== undefined,
    expire(key, seconds) {
      const e = live(key);
      if (!e) return false;
      // Like Redis, a TTL that is not positive deletes the key.
      if (seconds <= 0) data.delete(key);
      else e.expiresAt = now() + seconds * 1000;
      return true;
    },
    persist(key) {
      const e = live(key);
      if (e) e.expiresAt = null;
    },
    del: (key) => void data.delete(key),
    rename(from, to) {
      const e = live(from);
      if (!e) throw new Error('ERR no such key');
      data.delete(from);
      data.set(to, e);
    },
    get: (key) => peek(key, 'string')?.value,
    set(key, value, ttlSeconds) {
      data.set(key, { type: 'string', value, expiresAt: ttlSeconds === undefined ? null : now() + ttlSeconds * 1000 });
    },
    hgetall: (key) => Object.fromEntries(peek(key, 'hash')?.value ?? []),
    hset(key, fields) {
      const e = typed(key, 'hash', () => ({ type: 'hash', value: new Map() }));
      for (const [f, v] of Object.entries(fields)) e.value.set(f, v);
    },
    hdel(key, fields) {
      const e = peek(key, 'hash');
      if (!e) return;
      for (const f of fields) e.value.delete(f);
      dropIfEmpty(key, e);
    },
    zadd(key, score, member, nx = false) {
      const e = typed(key, 'zset', () => ({ type: 'zset', value: new Map() }));
      const added = e.value.has(member) ? 0 : 1;
      if (!nx || added === 1) e.value.set(member, score);
      return added;
    },
    zrem(key, members) {
      const e = peek(key, 'zset');
      if (!e) return;
      for (const m of members) e.value.delete(m);
      dropIfEmpty(key, e);
    },
    zrange(key, start, stop) {
      return sortedEntries(peek(key, 'zset')).slice(start, stop + 1).map(([m]) => m);
    },
    zrangeUpTo(key, max, offset, count) {
      return sortedEntries(peek(key, 'zset'))
        .filter(([, score]) => score <= max)
        .slice(offset, offset + count)
        .map(([m]) => m);
    },
    rpush(key, values) {
      typed(key, 'list', () => ({ type: 'list', value: [] })).value.push(...values);
    },
    keys(pattern) {
      const re = globRegExp(pattern);
      return [...data.keys()].filter((k) => live(k) !== undefined && re.test(k));
    },
  };
}
