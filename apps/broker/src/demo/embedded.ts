import { randomBytes } from 'node:crypto';
import { createMemoryTransport } from '@agentbus/transport';
import { createBroker, type Broker } from '../broker';
import type { TokenConfig } from '../auth/tokens';
import { DEFAULT_DEMO_OPTIONS, DEMO_AGENTS, type DemoAgent } from './demo';

export interface DemoBroker {
  readonly url: string;
  /** A token per demo agent: the embedded broker runs with auth, as a real one would. */
  readonly tokens: Record<DemoAgent, string>;
  readonly broker: Broker;
  close(): Promise<void>;
}

/**
 * A broker for the demo in this process, on the in-memory backend, with a token per demo agent
 * (the coordinator may also read the escalations stream and the demo topics).
 */
export async function startDemoBroker(options: { swarm?: string; port?: number } = {}): Promise<DemoBroker> {
  const swarm = options.swarm ?? DEFAULT_DEMO_OPTIONS.swarm;
  const tokens = Object.fromEntries((Object.keys(DEMO_AGENTS) as DemoAgent[]).map((a) => [a, `demo_${a}_${randomBytes(16).toString('hex')}`])) as Record<DemoAgent, string>;
  const config: TokenConfig[] = (Object.keys(DEMO_AGENTS) as DemoAgent[]).map((agent) => ({
    token: tokens[agent],
    agent,
    swarms: [swarm],
    topics: agent === 'coordinator' ? ['demo.*', 'swarm.escalations'] : ['demo.*'],
  }));
  const transport = createMemoryTransport({ namespace: 'demo' });
  const broker = createBroker({ transport, auth: { tokens: config }, log: false });
  const url = await broker.listen(options.port ?? 0, '127.0.0.1');
  return {
    url,
    tokens,
    broker,
    async close() {
      await broker.close();
      await transport.close();
    },
  };
}
