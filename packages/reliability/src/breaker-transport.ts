import { AgentbusError, ERROR_CODES, type Envelope } from '@agentbus/schema';
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
import { CircuitOpenError } from './errors';
import { createSpool, type Spool } from './internal/spool';

export interface PublishSpoolOptions {
  /**
   * Messages held at most (a batch counts as its envelopes). Past it a publish rejects with a
   * BACKPRESSURE SpoolFullError. Default 10 000.
   */
  maxEntries?: number;
  /**
   * Longest a publish waits in the spool (ms). Past it it leaves the spool unwritten and rejects
   * with a TIMEOUT error, so a caller never waits forever on a Redis that stays down. 0 = no
   * limit. Default 120 000 (Kafka's delivery.timeout.ms).
   */
  maxWaitMs?: number;
  /**
   * Wait before sending the spool's head again after it failed without opening the breaker
   * (ms). Default 250.
   */
  retryDelayMs?: number;
  /**
   * Spool `pubsub.publish` too. Default false: Pub/Sub is at-most-once and its messages (typing,
   * presence, live events) are stale by the time Redis is back, so it fails fast.
   */
  pubsub?: boolean;
}

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
}

/** A Transport whose publishes go through a circuit breaker (and, optionally, a spool). */
export interface BreakerTransport extends Transport {
  readonly breaker: CircuitBreaker;
  /** Messages in the spool, the one being sent included; 0 without a spool. */
  spoolSize(): number;
}

export const DEFAULT_PUBLISH_SPOOL_OPTIONS = {
  maxEntries: 10_000,
  maxWaitMs: 120_000,
  retryDelayMs: 250,
  pubsub: false,
} as const satisfies Required<PublishSpoolOptions>;

/** The spool is full: nothing was stored; try again after `retryAfterMs`. */
export class SpoolFullError extends AgentbusError {
  readonly retryAfterMs: number;

  constructor(circuit: string, held: number, maxEntries: number, retryAfterMs: number) {
    super(
      ERROR_CODES.BACKPRESSURE,
      `publish spool of circuit ${circuit} holds ${held} messages, at its limit of ${maxEntries} (spool.maxEntries) while Redis is unavailable: retry after ${retryAfterMs} ms, slow down, or raise spool.maxEntries`,
    );
    this.name = 'SpoolFullError';
    this.retryAfterMs = retryAfterMs;
  }
}

interface Entry {
  what: string;
  weight: number;
  /** Date.now() past which it is rejected unwritten; Infinity without maxWaitMs. */
  deadline: number;
  send: () => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

function isBreaker(x: CircuitBreakerOptions | CircuitBreaker | undefined): x is CircuitBreaker {
  return typeof (x as CircuitBreaker | undefined)?.run === 'function';
}

function checkSpoolOptions(o: Required<PublishSpoolOptions>): void {
  const bad = (what: string) => {
    throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, `withCircuitBreaker: ${what}`);
  };
  if (!Number.isInteger(o.maxEntries) || o.maxEntries < 1) bad(`spool.maxEntries must be an integer >= 1, got ${o.maxEntries}`);
  if (!(o.maxWaitMs >= 0)) bad(`spool.maxWaitMs must be >= 0 (0 = no limit), got ${o.maxWaitMs}`);
  if (!(o.retryDelayMs >= 0)) bad(`spool.retryDelayMs must be >= 0, got ${o.retryDelayMs}`);
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
  const spoolOptions = options.spool ? { ...DEFAULT_PUBLISH_SPOOL_OPTIONS, ...definedOnly(options.spool) } : undefined;
  if (spoolOptions) checkSpoolOptions(spoolOptions);
  const spool: Spool<Entry> | undefined = spoolOptions
    ? createSpool<Entry>({ maxEntries: spoolOptions.maxEntries, weight: (e) => e.weight })
    : undefined;
  let closed = false;
  let draining = false;
  let drainTimer: NodeJS.Timeout | undefined;
  let drainAt = Infinity;
  let expiryTimer: NodeJS.Timeout | undefined;

  // Timers are left ref'd on purpose: while messages wait in the spool the process has work in
  // flight, as it does with an open socket; letting it exit would drop them silently.
  function scheduleDrain(ms: number): void {
    if (closed) return;
    const at = Date.now() + ms;
    if (drainTimer && drainAt <= at) return;
    if (drainTimer) clearTimeout(drainTimer);
    drainAt = at;
    drainTimer = setTimeout(() => {
      drainTimer = undefined;
      drainAt = Infinity;
      void drain();
    }, ms);
  }

  function waitAfterFailure(): number {
    const s = breaker.stats();
    return s.state === 'open' ? Math.max(1, s.retryAfterMs) : spoolOptions!.retryDelayMs;
  }

  function expiredError(e: Entry, cause?: unknown): AgentbusError {
    return new AgentbusError(
      ERROR_CODES.TIMEOUT,
      `${e.what} waited ${spoolOptions!.maxWaitMs} ms in the spool of circuit ${breaker.name} (spool.maxWaitMs) and was not written: Redis stayed unavailable`,
      cause === undefined ? {} : { cause },
    );
  }

  function expire(): void {
    if (!spool || spoolOptions!.maxWaitMs === 0) return;
    const t = Date.now();
    for (const e of spool.shiftWhile((x) => x.deadline <= t)) e.reject(expiredError(e));
  }

  function armExpiry(): void {
    if (expiryTimer) clearTimeout(expiryTimer);
    expiryTimer = undefined;
    const headEntry = spool?.peek();
    if (!headEntry || closed || !Number.isFinite(headEntry.deadline)) return;
    expiryTimer = setTimeout(() => {
      expiryTimer = undefined;
      expire();
      armExpiry();
    }, Math.max(0, headEntry.deadline - Date.now()));
  }

  /** Sends the spool's entries one by one, in order, while the breaker lets calls through. */
  async function drain(): Promise<void> {
    if (!spool || draining || closed) return;
    draining = true;
    try {
      for (;;) {
        expire();
        if (spool.peek() === undefined) return;
        if (!breaker.allows()) {
          scheduleDrain(waitAfterFailure());
          return;
        }
        const entry = spool.take()!;
        armExpiry();
        try {
          const value = await breaker.run(entry.send);
          spool.done();
          entry.resolve(value);
        } catch (error) {
          const retryable = error instanceof CircuitOpenError || breaker.isFailure(error);
          if (closed || !retryable) {
            spool.done();
            entry.reject(error);
            continue;
          }
          if (Date.now() >= entry.deadline) {
            spool.done();
            entry.reject(expiredError(entry, error));
            continue;
          }
          // It keeps its place at the front: order holds across failed attempts.
          spool.putBack();
          armExpiry();
          scheduleDrain(waitAfterFailure());
          return;
        }
      }
    } finally {
      draining = false;
      armExpiry();
    }
  }

  function enqueue<T>(what: string, weight: number, send: () => Promise<T>): Promise<T> {
    const s = spool!;
    if (!s.fits(weight)) {
      if (weight > s.maxEntries) {
        return Promise.reject(
          new AgentbusError(
            ERROR_CODES.INVALID_ARGUMENT,
            `${what}: ${weight} messages can never fit the spool of circuit ${breaker.name} (spool.maxEntries = ${s.maxEntries}); send smaller batches`,
          ),
        );
      }
      // Open: room comes back once it closes; closed and draining: within a retry delay or so.
      return Promise.reject(new SpoolFullError(breaker.name, s.size(), s.maxEntries, waitAfterFailure()));
    }
    const maxWaitMs = spoolOptions!.maxWaitMs;
    const deadline = maxWaitMs > 0 ? Date.now() + maxWaitMs : Infinity;
    const promise = new Promise<T>((resolve, reject) => {
      s.push({ what, weight, deadline, send, resolve: (v) => resolve(v as T), reject });
    });
    if (!expiryTimer) armExpiry();
    // A pending timer is a backoff after a failure (or the open period): respect it.
    if (!draining && !drainTimer) {
      if (breaker.allows()) void drain();
      else scheduleDrain(waitAfterFailure());
    }
    return promise;
  }

  /**
   * Decided synchronously, so publishes keep their call order: once anything is spooled, later
   * publishes queue behind it until the spool is empty again.
   */
  function guarded<T>(what: string, weight: number, spoolable: boolean, send: () => Promise<T>): Promise<T> {
    // After close the transport refuses by itself; that is not a Redis failure to count.
    if (closed || weight === 0) return send();
    if (!spool || !spoolable) return breaker.run(send);
    if (spool.length() === 0 && breaker.allows()) return breaker.run(send);
    return enqueue(what, weight, send);
  }

  const unsubscribe = breaker.onStateChange((to) => {
    // A probe or reset elsewhere (a shared breaker) may close it before our timer fires.
    if (to !== 'open' && spool && spool.length() > 0 && !draining) void drain();
  });

  const pubsub: PubSub = {
    publish: (channel: string, env: Envelope) =>
      guarded(`pubsub.publish to ${channel}`, 1, spoolOptions?.pubsub === true, () => transport.pubsub.publish(channel, env)),
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
      guarded(`publish to ${topic}`, 1, true, () => transport.publish(topic, env, o)),
    publishBatch: (topic: string, envs: readonly Envelope[], o?: PublishOptions): Promise<PublishResult[]> =>
      guarded(`publishBatch of ${envs.length} to ${topic}`, envs.length, true, () => transport.publishBatch(topic, envs, o)),
    consume: (topic: string, handler: Handler, o: ConsumeOptions): Consumer => transport.consume(topic, handler, o),
    stats: (topic: string): Promise<TopicStats> => transport.stats(topic),
    trim: (topic: string, policy?: RetentionPolicy): Promise<TrimResult> => transport.trim(topic, policy),
    health: (): Promise<HealthReport> => transport.health(),
    async close() {
      if (!closed) {
        closed = true;
        unsubscribe();
        if (drainTimer) clearTimeout(drainTimer);
        if (expiryTimer) clearTimeout(expiryTimer);
        drainTimer = expiryTimer = undefined;
        const left = spool?.clear() ?? [];
        for (const e of left) {
          e.reject(
            new AgentbusError(
              ERROR_CODES.CLOSED,
              `${e.what} was still in the spool of circuit ${breaker.name} when the transport closed: it was not written`,
            ),
          );
        }
      }
      await transport.close();
    },
  };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
