import type { Cluster } from 'ioredis';
import { closeRedisClient, createRedisClient, describeTarget, type RedisClient, type RedisConnectionOptions } from './redis/connection';
import { createRedisPubSubBackend } from './redis/redis-pubsub-backend';
import { createRedisStreamBackend } from './redis/redis-stream-backend';
import type { TransportOptions } from './options';
import { createTransportCore } from './transport-core';
import type { Transport } from './types';

export interface RedisTransportOptions extends TransportOptions, RedisConnectionOptions {
  /** Use this ioredis client instead of creating one; it is not closed by `close()`. */
  client?: RedisClient;
  /**
   * Pub/Sub on a Cluster: `sharded` (SPUBLISH/SSUBSCRIBE, scales with the nodes; no pattern
   * subscriptions) or `classic` (broadcast to every node; patterns work). Default `sharded`.
   */
  pubsubMode?: 'sharded' | 'classic';
}

/**
 * A Transport on Redis (standalone, Sentinel or Cluster). Connects lazily: the first command
 * connects; `health()` reports whether Redis answers.
 */
export function createRedisTransport(options: RedisTransportOptions = {}): Transport {
  const owned = !options.client;
  const client = options.client ?? createRedisClient(options);
  const where = describeTarget(options);
  const isCluster = (client as Cluster).isCluster === true;
  const sharded = isCluster && options.pubsubMode !== 'classic';
  const streams = createRedisStreamBackend(client, where, options.healthTimeoutMs);
  return createTransportCore(
    {
      backend: 'redis',
      redis: client,
      capabilities: { ordering: true, cluster: isCluster, durable: true, shardedPubSub: sharded },
      streams,
      membership: streams,
      pubsub: createRedisPubSubBackend(client, where, sharded),
      shutdown: async () => {
        if (owned) await closeRedisClient(client, where);
      },
    },
    options,
  );
}
