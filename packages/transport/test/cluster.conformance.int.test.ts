import { inject } from 'vitest';
import { createRedisTransport, type Transport } from '../src/index';
import { describeTransportConformance } from '../src/conformance/transport-conformance';

describeTransportConformance(
  'redis cluster',
  async () => {
    const clusterNodes = inject('redisClusterNodes')!;
    const namespace = `t-cconf-${process.pid}-${Date.now()}`;
    const peers: Transport[] = [];
    const transport = createRedisTransport({ clusterNodes, namespace });
    return {
      transport,
      peer: async () => {
        const p = createRedisTransport({ clusterNodes, namespace });
        peers.push(p);
        return p;
      },
      cleanup: async () => {
        await Promise.all([transport.close(), ...peers.map((p) => p.close())]);
      },
    };
  },
  { ordering: true, cluster: true, durable: true, shardedPubSub: true },
);
