import type { Redis } from 'ioredis';
import { createReliability, type Reliability } from '@agentbus/reliability';
import { createSwarm, type Swarm } from '@agentbus/swarm';
import { connectRedis, createRedisClient, createRedisTransport, describeTarget, type Transport } from '@agentbus/transport';
import { createBrokerClient, type BrokerClient } from '../client/broker-client';
import type { GlobalFlags } from './args';
import { UsageError } from './cli-error';

/** The bus reached directly, as redis-cli does. */
export interface DirectBus {
  readonly transport: Transport;
  readonly reliability: Reliability;
  readonly swarm: Swarm;
  /** The connection itself (PING, INFO, XREAD for tail). */
  readonly redis: Redis;
  /** `Redis at host:port`. */
  readonly target: string;
  close(): Promise<void>;
}

/**
 * Connects to Redis (REDIS_URL / --redis), failing fast with one typed error instead of retrying
 * for the transport's usual minutes: a CLI user wants to know now.
 */
export async function connectDirect(g: GlobalFlags): Promise<DirectBus> {
  const url = g.redisUrl ?? 'redis://127.0.0.1:6379';
  const connection = { url, connectTimeoutMs: g.timeoutMs, maxRetriesPerRequest: 1 };
  const target = describeTarget(connection);
  const client = createRedisClient(connection) as Redis;
  try {
    await connectRedis(client, connection);
  } catch (error) {
    client.disconnect();
    throw error;
  }
  const transport = createRedisTransport({ client, ...(g.namespace === undefined ? {} : { namespace: g.namespace }) });
  const reliability = createReliability(transport);
  let swarm: Swarm | undefined;
  return {
    transport,
    reliability,
    get swarm() {
      return (swarm ??= createSwarm(transport));
    },
    redis: client,
    target,
    async close() {
      await reliability.close();
      await transport.close();
      await client.quit().catch(() => client.disconnect());
    },
  };
}

/** The broker client of --broker / AGENTBUS_BROKER_URL, or undefined when the CLI talks to Redis. */
export function brokerClientOf(g: GlobalFlags): BrokerClient | undefined {
  if (g.brokerUrl === undefined) return undefined;
  return createBrokerClient({ baseUrl: g.brokerUrl, timeoutMs: g.timeoutMs, ...(g.token === undefined ? {} : { token: g.token }) });
}

/** Refuses --broker for a command that only talks to Redis. */
export function directOnly(g: GlobalFlags, command: string, why: string): void {
  if (g.brokerUrl !== undefined) throw new UsageError(`${command} talks to Redis directly (${why}): drop --broker / AGENTBUS_BROKER_URL and set --redis or REDIS_URL`);
}

/** Runs `fn` on a direct connection and closes it afterwards, also on failure. */
export async function withDirect<T>(g: GlobalFlags, fn: (bus: DirectBus) => Promise<T>): Promise<T> {
  const bus = await connectDirect(g);
  try {
    return await fn(bus);
  } finally {
    await bus.close();
  }
}
