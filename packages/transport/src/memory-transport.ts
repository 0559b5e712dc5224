import { createMemoryMembership } from './memory/memory-membership';
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

/**
 * A Transport in one process's memory: the same semantics as Redis (consumer groups, pending
 * entries, claims, retention, Pub/Sub), nothing durable. The embedded default of the apps, and
 * what unit tests run on.
 */
export function createMemoryTransport(options: MemoryTransportOptions = {}): Transport {
  const store = options.store ?? createMemoryStore();
  const membership = createMemoryMembership({ store });
  return createTransportCore(
    {
      backend: 'memory',
      capabilities: { ordering: true, cluster: false, durable: false, shardedPubSub: false },
      streams: createMemoryStreamBackend({ store }),
      membership,
      pubsub: createMemoryPubSubBackend({ store }),
      shutdown: () => membership.close(),
    },
    options,
  );
}

export { createMemoryStore };
export type { MemoryStore };
