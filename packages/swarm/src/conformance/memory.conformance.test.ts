import { AgentbusError, ERROR_CODES } from '@agentbus/schema';
import { createMemoryStore, createMemoryTransport, type Transport } from '@agentbus/transport';
import { memoryKeyspace, createSwarmMemoryStore } from '../memory/memory-swarm-store';
import { createSwarm } from '../swarm';
import { describeSwarmConformance, type RawKeys } from './swarm-conformance';

describeSwarmConformance('memory', async (options = {}) => {
  // Swarms given the same swarm store (and transports the same transport store) share their
  // data, like processes sharing one Redis.
  const transportStore = createMemoryStore();
  const memoryStore = createSwarmMemoryStore();
  const ks = memoryKeyspace(memoryStore);
  const transports: Transport[] = [];
  const newTransport = () => {
    const t = createMemoryTransport({ store: transportStore, namespace: 'mem' });
    transports.push(t);
    return t;
  };
  const transport = newTransport();
  const raw: RawKeys = {
    type: async (k) => ks.type(k),
    ttl: async (k) => ks.ttl(k),
    exists: async (k) => ks.exists(k),
    get: async (k) => ks.get(k) ?? null,
    set: async (k, v) => ks.set(k, v),
    hgetall: async (k) => ks.hgetall(k),
    hset: async (k, f) => ks.hset(k, f),
    rpush: async (k, v) => ks.rpush(k, v),
    expire: async (k, s) => void ks.expire(k, s),
    zrange: async (k) => ks.zrange(k, 0, Number.MAX_SAFE_INTEGER),
    keys: async (p) => ks.keys(p),
  };
  return {
    transport,
    swarm: createSwarm(transport, { ...options, memoryStore }),
    keys: transport.keys,
    raw,
    peer: async ({ transport: on, ...rest } = {}) => createSwarm(on ?? newTransport(), { ...rest, memoryStore }),
    failingEscalations: async () => {
      const failing = new Proxy(newTransport(), {
        get(target, prop, receiver) {
          if (prop === 'publish') return async () => Promise.reject(new AgentbusError(ERROR_CODES.BACKPRESSURE, 'full'));
          return Reflect.get(target, prop, receiver) as unknown;
        },
      });
      return createSwarm(failing, { memoryStore });
    },
    cleanup: async () => {
      await Promise.all(transports.map((t) => t.close()));
    },
  };
});
