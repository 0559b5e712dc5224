import { AgentbusError, ERROR_CODES } from '@agentbus/schema';
import { createMemoryTransport, type MemoryTransportOptions } from './memory-transport';
import { createRedisTransport, type RedisTransportOptions } from './redis-transport';
import type { Transport } from './types';

export interface CreateTransportOptions extends RedisTransportOptions, MemoryTransportOptions {
  /** `redis` or `memory`. Default `QUEUE_BACKEND`, else redis when REDIS_URL or REDIS_CLUSTER_NODES is set, else memory. */
  backend?: 'redis' | 'memory';
}

/** Which backend the options and environment select. */
export function selectBackend(options: CreateTransportOptions = {}): 'redis' | 'memory' {
  const env = options.env ?? process.env;
  const chosen = options.backend ?? env.QUEUE_BACKEND;
  if (chosen !== undefined && chosen !== '') {
    if (chosen !== 'redis' && chosen !== 'memory') {
      throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, `QUEUE_BACKEND must be redis or memory, got ${JSON.stringify(chosen)}`);
    }
    return chosen;
  }
  return options.url || options.clusterNodes || options.sentinel || options.client || env.REDIS_URL || env.REDIS_CLUSTER_NODES
    ? 'redis'
    : 'memory';
}

/**
 * The transport the environment asks for: Redis from REDIS_URL / REDIS_CLUSTER_NODES, or the
 * in-memory backend (the embedded default) when neither is set or QUEUE_BACKEND=memory.
 */
export function createTransport(options: CreateTransportOptions = {}): Transport {
  const env = options.env ?? process.env;
  const namespace = options.namespace ?? env.REDIS_NAMESPACE;
  const withNs = namespace === undefined ? options : { ...options, namespace };
  if (selectBackend(options) === 'memory') return createMemoryTransport(withNs);
  return createRedisTransport({ ...withNs, env });
}
