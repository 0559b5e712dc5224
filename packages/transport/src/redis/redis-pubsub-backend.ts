import type { Cluster, Redis } from 'ioredis';
import type { PubSubBackend, RawMessageHandler } from '../internal/stream-backend';
import type { RedisClient } from './connection';
import { toAgentbusError } from './redis-errors';

/**
 * Pub/Sub over a dedicated subscriber connection (a subscribed connection can run nothing else).
 * With `sharded` on a Cluster, exact channels use sharded Pub/Sub (SPUBLISH/SSUBSCRIBE) so a
 * message only crosses the node that owns the channel's slot; patterns have no sharded form, so
 * they need classic Pub/Sub, which every node broadcasts.
 */
export function createRedisPubSubBackend(client: RedisClient, where: string, sharded: boolean): PubSubBackend {
  const isCluster = sharded && (client as Cluster).isCluster === true;
  let subscriber: RedisClient | undefined;
  const channels = new Map<string, Set<RawMessageHandler>>();
  const patterns = new Map<string, Set<RawMessageHandler>>();

  function dispatch(set: Set<RawMessageHandler> | undefined, message: string, channel: string): void {
    if (!set) return;
    for (const h of set) h(message, channel);
  }

  function sub(): RedisClient {
    if (!subscriber) {
      subscriber = (client as Redis).duplicate() as RedisClient;
      subscriber.on('error', () => undefined);
      subscriber.on('message', (channel: string, message: string) => dispatch(channels.get(channel), message, channel));
      subscriber.on('smessage', (channel: string, message: string) => dispatch(channels.get(channel), message, channel));
      subscriber.on('pmessage', (pattern: string, channel: string, message: string) =>
        dispatch(patterns.get(pattern), message, channel),
      );
    }
    return subscriber;
  }

  async function add(
    map: Map<string, Set<RawMessageHandler>>,
    name: string,
    handler: RawMessageHandler,
    run: (s: RedisClient) => Promise<unknown>,
  ): Promise<void> {
    let set = map.get(name);
    const first = !set;
    if (!set) {
      set = new Set();
      map.set(name, set);
    }
    set.add(handler);
    if (first) {
      try {
        await run(sub());
      } catch (error) {
        set.delete(handler);
        if (set.size === 0) map.delete(name);
        throw toAgentbusError(error, where);
      }
    }
  }

  async function remove(
    map: Map<string, Set<RawMessageHandler>>,
    name: string,
    handler: RawMessageHandler,
    run: (s: RedisClient) => Promise<unknown>,
  ): Promise<void> {
    const set = map.get(name);
    if (!set) return;
    set.delete(handler);
    if (set.size === 0) {
      map.delete(name);
      if (subscriber) await run(subscriber).catch(() => undefined);
    }
  }

  return {
    async publish(channel, raw) {
      try {
        if (isCluster) return Number(await (client as Cluster).spublish(channel, raw));
        return Number(await client.publish(channel, raw));
      } catch (error) {
        throw toAgentbusError(error, where);
      }
    },
    subscribe: (channel, h) =>
      add(channels, channel, h, (s) => (isCluster ? (s as Cluster).ssubscribe(channel) : s.subscribe(channel))),
    unsubscribe: (channel, h) =>
      remove(channels, channel, h, (s) => (isCluster ? (s as Cluster).sunsubscribe(channel) : s.unsubscribe(channel))),
    psubscribe: (pattern, h) => add(patterns, pattern, h, (s) => s.psubscribe(pattern)),
    punsubscribe: (pattern, h) => remove(patterns, pattern, h, (s) => s.punsubscribe(pattern)),
    async close() {
      channels.clear();
      patterns.clear();
      subscriber?.disconnect();
      subscriber = undefined;
    },
  };
}
