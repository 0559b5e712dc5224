import type { Envelope } from '@agentbus/schema';
import type {
  ConsumeOptions,
  Consumer,
  Handler,
  HealthReport,
  PublishOptions,
  PublishResult,
  PubSub,
  RetentionPolicy,
  SubscribeOptions,
  Subscription,
  SubscriptionHandler,
  TopicOptions,
  TopicStats,
  Transport,
  TrimResult,
} from '@agentbus/transport';
import { createCircuitBreaker, type CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker';
import { PublishSpool, resolveSpoolOptions, WRITE, type PublishSpoolOptions } from './publish-spool';

export { DEFAULT_PUBLISH_SPOOL_OPTIONS, SpoolFullError } from './publish-spool';
export type { PublishSpoolOptions } from './publish-spool';

export interface BreakerTransportOptions {
  /**
   * Options of the breaker to create, or an existing breaker (e.g. one shared by every
   * transport of the same Redis). Default: a new breaker with DEFAULT_CIRCUIT_BREAKER_OPTIONS,
   * named `<backend>-publish`.
   */
  breaker?: CircuitBreakerOptions | CircuitBreaker;
  /**
   * Hold publishes refused by the open breaker in a bounded in-process spool and send them, in
   * order, once it closes. Default: none (publishes fail fast with CircuitOpenError).
   */
  spool?: PublishSpoolOptions;
  /**
   * Open the breaker the moment the transport's Redis connection drops (`transport.redis` emits
   * `close`, `reconnecting` or `end`), instead of after enough publishes failed or timed out. It
   * closes again through the usual half-open probe once Redis answers. Default true; no effect
   * on the memory backend.
   */
  tripOnDisconnect?: boolean;
}

export const DEFAULT_BREAKER_TRANSPORT_OPTIONS = {
  tripOnDisconnect: true,
} as const satisfies Required<Pick<BreakerTransportOptions, 'tripOnDisconnect'>>;

/** ioredis events saying the connection is gone (each failed reconnect attempt emits them again). */
const DISCONNECT_EVENTS = ['close', 'reconnecting', 'end'] as const;

/** A Transport whose publishes go through a circuit breaker (and, optionally, a spool). */
export interface BreakerTransport extends Transport {
  readonly breaker: CircuitBreaker;
  /** Messages in the spool, the one being sent included; 0 without a spool. */
  spoolSize(): number;
}

function isBreaker(x: CircuitBreakerOptions | CircuitBreaker | undefined): x is CircuitBreaker {
  return typeof (x as CircuitBreaker | undefined)?.run === 'function';
}

/**
 * Wraps a Transport so that `publish`, `publishBatch` and `pubsub.publish` go through a circuit
 * breaker: while Redis is down they fail fast (ioredis would otherwise queue them for as long as
 * its reconnect retries last), and with a `spool` they wait in order in memory instead and are
 * sent once the breaker closes. A spooled publish resolves only when it was really written, with
 * the real PublishResult — a resolved publish means the same with or without the wrapper.
 * Everything else (consume, stats, trim, health, pubsub.subscribe) is passed through.
 */
export function withCircuitBreaker(transport: Transport, options: BreakerTransportOptions = {}): BreakerTransport {
  const breaker = isBreaker(options.breaker)
    ? options.breaker
    : createCircuitBreaker({ ...options.breaker, name: options.breaker?.name ?? `${transport.backend}-publish` });
  const spoolOptions = options.spool ? resolveSpoolOptions(options.spool) : undefined;
  const spool = spoolOptions ? new PublishSpool(breaker, spoolOptions) : undefined;
  let closed = false;

  /**
   * Decided synchronously, so publishes keep their call order: once anything is spooled, later
   * publishes queue behind it until the spool is empty again.
   */
  function guarded<T>(what: string, weight: number, spoolable: boolean, write: boolean, send: () => Promise<T>): Promise<T> {
    // After close the transport refuses by itself; that is not a Redis failure to count.
    if (closed || weight === 0) return send();
    const run = write ? WRITE : undefined;
    if (!spool || !spoolable) return breaker.run(send, run);
    if (spool.length() === 0 && breaker.allows()) return breaker.run(send, run);
    return spool.enqueue(what, weight, write, send);
  }

  const unsubscribe = breaker.onStateChange((to) => {
    if (to !== 'open') spool?.resume();
  });
  const detach = watchConnection(transport, options, breaker, () => closed);

  const pubsub: PubSub = {
    publish: (channel: string, env: Envelope) =>
      guarded(`pubsub.publish to ${channel}`, 1, spoolOptions?.pubsub === true, false, () => transport.pubsub.publish(channel, env)),
    subscribe: (channel: string, handler: SubscriptionHandler, o?: SubscribeOptions): Subscription =>
      transport.pubsub.subscribe(channel, handler, o),
    psubscribe: (pattern: string, handler: SubscriptionHandler, o?: SubscribeOptions): Subscription =>
      transport.pubsub.psubscribe(pattern, handler, o),
  };

  return {
    get backend() {
      return transport.backend;
    },
    get redis() {
      return transport.redis;
    },
    get capabilities() {
      return transport.capabilities;
    },
    get keys() {
      return transport.keys;
    },
    pubsub,
    breaker,
    spoolSize: () => spool?.size() ?? 0,
    // Delegated one by one, not by prototype or Proxy: when the Transport interface grows, the
    // compiler makes us decide whether the new method writes (breaker) or not (pass through).
    partitionsOf: (topic: string): string[] => transport.partitionsOf(topic),
    defineTopic: (topic: string, o: TopicOptions) => transport.defineTopic(topic, o),
    publish: (topic: string, env: Envelope, o?: PublishOptions): Promise<PublishResult> =>
      guarded(`publish to ${topic}`, 1, true, true, () => transport.publish(topic, env, o)),
    publishBatch: (topic: string, envs: readonly Envelope[], o?: PublishOptions): Promise<PublishResult[]> =>
      guarded(`publishBatch of ${envs.length} to ${topic}`, envs.length, true, true, () => transport.publishBatch(topic, envs, o)),
    consume: (topic: string, handler: Handler, o: ConsumeOptions): Consumer => transport.consume(topic, handler, o),
    stats: (topic: string): Promise<TopicStats> => transport.stats(topic),
    trim: (topic: string, policy?: RetentionPolicy): Promise<TrimResult> => transport.trim(topic, policy),
    health: (): Promise<HealthReport> => transport.health(),
    async close() {
      if (!closed) {
        closed = true;
        unsubscribe();
        detach();
        spool?.close();
      }
      await transport.close();
    },
  };
}

/**
 * Trips the breaker when the transport's Redis connection drops, so publishes fail fast (or
 * spool) within milliseconds of Redis going away rather than after a window of failures, each
 * of which waited up to callTimeoutMs. Returns the function that stops watching.
 */
function watchConnection(
  transport: Transport,
  options: BreakerTransportOptions,
  breaker: CircuitBreaker,
  isClosed: () => boolean,
): () => void {
  const client = transport.redis;
  if (!client || !(options.tripOnDisconnect ?? DEFAULT_BREAKER_TRANSPORT_OPTIONS.tripOnDisconnect)) return () => undefined;
  const onDown = () => {
    if (!isClosed()) breaker.trip();
  };
  for (const event of DISCONNECT_EVENTS) client.on(event, onDown);
  return () => {
    for (const event of DISCONNECT_EVENTS) client.off(event, onDown);
  };
}
