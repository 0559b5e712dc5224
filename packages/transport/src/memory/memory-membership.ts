import type { MembershipBackend } from '../internal/stream-backend';
import { closedError } from '../errors';
import { createMemoryStore, getString, setString, sortedSet, storeState, type MemoryStore } from './memory-store';

export interface MemoryMembershipOptions {
  /** The data to share with other memory backends (as processes share a Redis). Default: a fresh store. */
  store?: MemoryStore;
  /** Clock for the set's expiry. Default: the store's clock. */
  now?: () => number;
}

/**
 * Consumer-group membership in memory, as the Redis backend keeps it: a sorted set of members
 * scored by their last heartbeat, entries older than the ttl dropped on every heartbeat, the set
 * itself expiring after ten ttls without one.
 */
export function createMemoryMembership(options: MemoryMembershipOptions = {}): MembershipBackend & {
  close(): Promise<void>;
} {
  const state = storeState(options.store ?? createMemoryStore(options.now ? { now: options.now } : {}));
  const clock = options.now ?? state.now;
  const now = (): number => Math.floor(clock());
  let closed = false;

  return {
    async heartbeat(key, member, ttlMs) {
      if (closed) throw closedError('memory membership');
      const nowMs = now();
      const set = sortedSet(state, key, nowMs, true)!;
      set.members.set(member, nowMs);
      // ZREMRANGEBYSCORE -inf (now - ttl): inclusive.
      for (const [m, score] of set.members) if (score <= nowMs - ttlMs) set.members.delete(m);
      set.expiresAt = nowMs + ttlMs * 10;
      return [...set.members.keys()].sort();
    },

    async leave(key, member) {
      // Best effort, like the Redis backend: a member that did not leave expires after its ttl.
      if (closed) return;
      sortedSet(state, key, now(), false)?.members.delete(member);
    },

    async acquireLease(key, token, ttlMs) {
      if (closed) throw closedError('memory membership');
      const holder = getString(state, key, now());
      if (holder !== undefined && holder !== token) return false;
      setString(state, key, token, now(), ttlMs);
      return true;
    },

    async releaseLease(key, token) {
      if (!closed && getString(state, key, now()) === token) state.strings.delete(key);
    },

    async close() {
      closed = true;
    },
  };
}
