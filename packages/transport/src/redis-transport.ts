import type { Cluster } from 'ioredis';
import { createRedisClient, describeTarget, type RedisClient, type RedisConnectionOptions } from './redis/connection';
import { createRedisPubSubBackend } from './redis/redis-pubsub-backend';
import { createRedisStreamBackend } from './redis/redis-stream-backend';
import type { TransportOptions } from './options';
import { createTransportCore } from './transport-core';
import type { Transport } from './types';

export interface RedisTransportOptions extends TransportOptions, RedisConnectionOptions {
  /** Use this ioredis client instead of creating one; it is not closed by `close()`. */
  client?: RedisClient;
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
  const streams = createRedisStreamBackend(client, where);
  return createTransportCore(
    {
      backend: 'redis',
      capabilities: { ordering: true, cluster: isCluster, durable: true, shardedPubSub: isCluster },
      streams,
      membership: streams,
      pubsub: createRedisPubSubBackend(client, where),
      shutdown: async () => {
        if (owned) await client.quit().catch(() => client.disconnect());
      },
    },
    options,
  );
}
