import type { Metrics } from '@agentbus/metrics';
import type { BreakerTransport, RateLimiter, Reliability } from '@agentbus/reliability';
import type { Swarm } from '@agentbus/swarm';
import type { Access } from './auth/access';
import type { SignatureCheck } from './auth/signatures';
import type { TopicTracker } from './topic-tracker';

/** What the routes share: the bus and the checks, built once by createBroker. */
export interface BrokerContext {
  /** The bus, with publishes through the circuit breaker (and traced). */
  readonly transport: BreakerTransport;
  readonly swarm: Swarm;
  readonly reliability: Reliability;
  /** Per-token publish limits; undefined when off. */
  readonly limiter: RateLimiter | undefined;
  readonly metrics: Metrics;
  readonly access: Access;
  readonly signatures: SignatureCheck;
  readonly topics: TopicTracker;
  /** Whether requests are authenticated (false: dev mode). */
  readonly authEnabled: boolean;
  readonly startedAt: number;
}
