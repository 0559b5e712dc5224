import type { MembershipBackend } from './internal/stream-backend';
import { createMemoryPubSubBackend } from './memory/memory-pubsub-backend';
import { createMemoryStore, type MemoryStore } from './memory/memory-store';
import { createMemoryStreamBackend } from './memory/memory-stream-backend';
import type { TransportOptions } from './options';
import { createTransportCore } from './transport-core';
import type { Transport } from './types';

export interface MemoryTransportOptions extends TransportOptions {
  /**
   * The data to share: transports given the same store see each other's streams and Pub/Sub,
   * as processes sharing one Redis do. Default: a fresh store.
   */
  store?: MemoryStore;
}

const memberships = new WeakMap<MemoryStore, Map<string, Map<string, number>>>();

/** Consumer-group membership kept beside the store, shared by every transport on it. */
function membershipFor(store: MemoryStore): MembershipBackend {
  let sets = memberships.get(store);
  if (!sets) {
    sets = new Map();
    memberships.set(store, sets);
  }
  const all = sets;
  return {
    async heartbeat(key, member, now, ttlMs) {
      let set = all.get(key);
      if (!set) {
        set = new Map();
        all.set(key, set);
      }
      set.set(member, now);
      for (const [m, seen] of set) if (seen < now - ttlMs) set.delete(m);
      return [...set.keys()].sort();
    },
    async leave(key, member) {
      all.get(key)?.delete(member);
    },
  };
}

/**
 * A Transport in one process's memory: the same semantics as Redis (consumer groups, pending
 * entries, claims, retention, Pub/Sub), nothing durable. The embedded default of the apps, and
 * what unit tests run on.
 */
export function createMemoryTransport(options: MemoryTransportOptions = {}): Transport {
  const store = options.store ?? createMemoryStore();
  return createTransportCore(
    {
      backend: 'memory',
      capabilities: { ordering: true, cluster: false, durable: false, shardedPubSub: false },
      streams: createMemoryStreamBackend({ store }),
      membership: membershipFor(store),
      pubsub: createMemoryPubSubBackend({ store }),
      shutdown: async () => undefined,
    },
    options,
  );
}

export { createMemoryStore };
export type { MemoryStore };
