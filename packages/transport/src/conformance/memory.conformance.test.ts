import { createMemoryStore } from '../memory/memory-store';
import { createMemoryTransport } from '../memory-transport';
import { describeTransportConformance } from './transport-conformance';

describeTransportConformance(
  'memory',
  async () => {
    // Transports on one store share their data, like processes sharing one Redis.
    const store = createMemoryStore();
    const transport = createMemoryTransport({ store });
    return {
      transport,
      peer: async () => createMemoryTransport({ store }),
      cleanup: () => transport.close(),
    };
  },
  { ordering: true, cluster: false, durable: false, shardedPubSub: false },
);
