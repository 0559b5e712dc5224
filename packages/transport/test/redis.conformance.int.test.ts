import { inject } from 'vitest';
import { createRedisTransport, type Transport } from '../src/index';
import { describeTransportConformance } from '../src/conformance/transport-conformance';

describeTransportConformance(
  'redis',
  async () => {
    const url = inject('redisUrl');
    const namespace = `t-conf-${process.pid}-${Date.now()}`;
    const peers: Transport[] = [];
    const transport = createRedisTransport({ url, namespace });
    return {
      transport,
      peer: async () => {
        const p = createRedisTransport({ url, namespace });
        peers.push(p);
        return p;
      },
      cleanup: async () => {
        await Promise.all([transport.close(), ...peers.map((p) => p.close())]);
      },
    };
  },
  { ordering: true, cluster: false, durable: true, shardedPubSub: false },
);
