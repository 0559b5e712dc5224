import { inject } from 'vitest';
import { Redis } from 'ioredis';
import { uniquePrefix } from '@agentbus/test-utils';
import { createRedisTransport, type Transport } from '@agentbus/transport';
import { createSwarm } from '../src/index';
import { describeSwarmConformance, type RawKeys } from '../src/conformance/swarm-conformance';

describeSwarmConformance('redis', async (options = {}) => {
  const url = inject('redisUrl');
  const namespace = uniquePrefix('swarm');
  const transports: Transport[] = [];
  // Every peer is its own transport, so its own connection: a separate process as Redis sees it.
  const newTransport = () => {
    const t = createRedisTransport({ url, namespace });
    transports.push(t);
    return t;
  };
  const transport = newTransport();
  const client = new Redis(url);
  const raw: RawKeys = {
    type: (k) => client.type(k),
    ttl: (k) => client.ttl(k),
    exists: async (k) => (await client.exists(k)) === 1,
    get: (k) => client.get(k),
    set: async (k, v) => void (await client.set(k, v)),
    hgetall: (k) => client.hgetall(k),
    hset: async (k, f) => void (await client.hset(k, f)),
    rpush: async (k, v) => void (await client.rpush(k, ...v)),
    expire: async (k, s) => void (await client.expire(k, s)),
    zrange: (k) => client.zrange(k, '0', '-1'),
    keys: (p) => client.keys(p),
  };
  return {
    transport,
    swarm: createSwarm(transport, options),
    keys: transport.keys,
    raw,
    peer: async ({ transport: on, ...rest } = {}) => createSwarm(on ?? newTransport(), rest),
    failingEscalations: async () => {
      // A key of another type where the stream belongs: Redis refuses the XADD.
      await client.set(transport.keys.lane('swarm.escalations', 'high'), 'not a stream');
      return createSwarm(newTransport());
    },
    cleanup: async () => {
      await Promise.all([...transports.map((t) => t.close()), client.quit()]);
    },
  };
});
