import type { Cluster, Redis } from 'ioredis';
import { closeRedisClient, createRedisClient, resolveConnection, type RedisClient, type RedisConnectionOptions } from './redis/connection';
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

/** Names a client given in the options by where it points, for error messages. */
function describeClient(client: RedisClient): string {
  if ((client as Cluster).isCluster === true) return 'Redis Cluster (client option)';
  const o = (client as Redis).options;
  return `Redis at ${o.host ?? '127.0.0.1'}:${o.port ?? 6379} (client option)`;
}

/**
 * A Transport on Redis (standalone, Sentinel or Cluster). Connects lazily: the first command
 * connects; `health()` reports whether Redis answers. Without `url`, `clusterNodes`, `sentinel` or
 * `client` it connects where `REDIS_CLUSTER_NODES` or `REDIS_URL` say, else to 127.0.0.1:6379;
 * errors name the target and which of these it came from.
 */
export function createRedisTransport(given: RedisTransportOptions = {}): Transport {
  const resolved = given.client ? undefined : resolveConnection(given);
  const options: RedisTransportOptions = resolved ? { ...given, ...resolved.options } : given;
  const owned = !options.client;
  const client = options.client ?? createRedisClient(options);
  const where = resolved ? resolved.where : describeClient(client);
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
