import type { PubSubBackend, RawMessageHandler } from '../internal/stream-backend';
import { closedError } from '../errors';
import { createMemoryStore, storeState, type MemoryStore, type SubscriberMap } from './memory-store';
import { redisGlobMatch } from './redis-glob';

export interface MemoryPubSubBackendOptions {
  /** The data to share with other memory backends (as processes share a Redis). Default: a fresh store. */
  store?: MemoryStore;
}

function add(map: SubscriberMap, name: string, owner: object, handler: RawMessageHandler): void {
  let owners = map.get(name);
  if (!owners) {
    owners = new Map();
    map.set(name, owners);
  }
  let handlers = owners.get(owner);
  if (!handlers) {
    handlers = new Set();
    owners.set(owner, handlers);
  }
  handlers.add(handler);
}

function remove(map: SubscriberMap, name: string, owner: object, handler?: RawMessageHandler): void {
  const owners = map.get(name);
  const handlers = owners?.get(owner);
  if (!owners || !handlers) return;
  if (handler) handlers.delete(handler);
  else handlers.clear();
  if (handlers.size === 0) owners.delete(owner);
  if (owners.size === 0) map.delete(name);
}

function isSubscribed(map: SubscriberMap, name: string, owner: object, handler: RawMessageHandler): boolean {
  return map.get(name)?.get(owner)?.has(handler) ?? false;
}

/**
 * Pub/Sub in memory with Redis's behaviour: exact channels and glob patterns (PSUBSCRIBE syntax),
 * at-most-once, delivered asynchronously (a later macrotask, as if over a network) in publish
 * order. Each backend is one "connection": `publish` returns how many subscriptions received the
 * message, counting a backend once per channel and once per matching pattern (as PUBLISH counts
 * clients), however many handlers it has on them; every handler is called.
 *
 * A handler that throws does not stop the others; its error is dropped, as nothing waits for it.
 */
export function createMemoryPubSubBackend(options: MemoryPubSubBackendOptions = {}): PubSubBackend {
  const state = storeState(options.store ?? createMemoryStore());
  const owner = {};
  let closed = false;

  function assertOpen(): void {
    if (closed) throw closedError('memory pubsub backend');
  }

  return {
    async publish(channel, raw) {
      assertOpen();
      // Who receives it is decided now, as Redis does at PUBLISH; handlers that leave before the
      // message arrives are not called.
      const deliveries: Array<{ map: SubscriberMap; name: string; owner: object; handlers: RawMessageHandler[] }> = [];
      for (const [o, handlers] of state.channels.get(channel) ?? []) {
        deliveries.push({ map: state.channels, name: channel, owner: o, handlers: [...handlers] });
      }
      for (const [pattern, owners] of state.patterns) {
        if (!redisGlobMatch(pattern, channel)) continue;
        for (const [o, handlers] of owners) {
          deliveries.push({ map: state.patterns, name: pattern, owner: o, handlers: [...handlers] });
        }
      }
      if (deliveries.length > 0) {
        setImmediate(() => {
          for (const d of deliveries) {
            for (const handler of d.handlers) {
              if (!isSubscribed(d.map, d.name, d.owner, handler)) continue;
              try {
                handler(raw, channel);
              } catch {
                // At-most-once: a failing handler loses this message, the others still get it.
              }
            }
          }
        });
      }
      return deliveries.length;
    },

    async subscribe(channel, onMessage) {
      assertOpen();
      add(state.channels, channel, owner, onMessage);
    },

    async unsubscribe(channel, onMessage) {
      assertOpen();
      remove(state.channels, channel, owner, onMessage);
    },

    async psubscribe(pattern, onMessage) {
      assertOpen();
      add(state.patterns, pattern, owner, onMessage);
    },

    async punsubscribe(pattern, onMessage) {
      assertOpen();
      remove(state.patterns, pattern, owner, onMessage);
    },

    async close() {
      if (closed) return;
      closed = true;
      for (const name of [...state.channels.keys()]) remove(state.channels, name, owner);
      for (const name of [...state.patterns.keys()]) remove(state.patterns, name, owner);
    },
  };
}
