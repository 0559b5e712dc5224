import { AgentbusError, ERROR_CODES, l1EventSchema, l1Topic, type Envelope, type L1Event } from '@agentbus/schema';
import { createReliability, PermanentError, type Reliability, type RetryPolicy } from '@agentbus/reliability';
import type { ConsumeOptions, Consumer, DeliveryContext, Transport } from '@agentbus/transport';
import { createBatcher, type Batcher } from './internal/batcher';

/** One L1 event as an L2 consumer receives it. */
export interface L2Message {
  /** The L1 event, validated. */
  event: L1Event;
  envelope: Envelope<L1Event>;
  /** `mem0.recorded.<module>`. */
  topic: string;
  sourceModule: string;
  /** Stream entry id. */
  streamId: string;
  /** 1 on the first attempt; more on a retry. */
  attempt: number;
  /** Aborted when the subscriber is stopped with a deadline that passed. */
  signal: AbortSignal;
}

/**
 * What `processBatch` says of each message: `true` done (acked), `false` failed (retried with
 * backoff, then dead-lettered), or an Error, e.g. a `PermanentError` to dead-letter it at once.
 */
export type MessageOutcome = boolean | Error;

export interface BaseSubscriberOptions {
  transport: Transport;
  /** Source modules to follow: one stream `mem0.recorded.<module>` each. */
  modules: readonly string[];
  /** Consumer group: subscribers of one group share the work; each group sees every event. */
  group: string;
  /** Consumer name, unique in the group. Default: the transport's (`REDIS_CONSUMER`, else host-pid-n). */
  consumer?: string;
  /** Messages per `processBatch` call. Default 100. */
  batchSize?: number;
  /** Longest wait for a batch to fill once it has a message (ms). Default 10. */
  batchWaitMs?: number;
  /** Retries and dead letters. Default: one made from the transport with `retry`, closed by `stop()`. */
  reliability?: Reliability;
  /** Retry schedule when no `reliability` is given. Default reliability's (5 s, 15 s, 60 s). */
  retry?: RetryPolicy;
  /** Further consume options (blockMs, claimIdleMs, startId, ...). */
  consume?: Omit<ConsumeOptions, 'group' | 'consumer' | 'concurrency' | 'prefetch' | 'onRejected'>;
}

export const DEFAULT_BASE_SUBSCRIBER_OPTIONS = {
  batchSize: 100,
  batchWaitMs: 10,
} as const satisfies Partial<BaseSubscriberOptions>;

export interface SubscriberCounters {
  batches: number;
  /** Messages processed successfully (acked). */
  succeeded: number;
  /** Attempts that failed (each retried or dead-lettered). */
  failed: number;
  /** Messages whose payload is not an L1 event (dead-lettered at once). */
  invalid: number;
}

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

/**
 * The base of an L2 consumer: subclass it and implement `process` (one message: return true when
 * done) or override `processBatch` (a bulk write). It consumes `mem0.recorded.<module>` for each
 * module with a consumer group, hands messages over in batches in stream order, acks what
 * succeeded, and retries what failed with backoff and then dead-letters it, through
 * @agentbus/reliability. Delivery is at-least-once: make processing idempotent (the envelope id
 * is a stable key).
 */
export abstract class BaseSubscriber {
  protected readonly transport: Transport;
  private readonly opts: BaseSubscriberOptions & { batchSize: number; batchWaitMs: number };
  private readonly topics: string[];
  private reliability: Reliability | undefined;
  private consumers: Consumer[] = [];
  private readonly stats: SubscriberCounters = { batches: 0, succeeded: 0, failed: 0, invalid: 0 };

  constructor(options: BaseSubscriberOptions) {
    this.opts = { ...DEFAULT_BASE_SUBSCRIBER_OPTIONS, ...options };
    if (!Number.isInteger(this.opts.batchSize) || this.opts.batchSize < 1) {
      throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, `BaseSubscriber: batchSize must be an integer >= 1, got ${this.opts.batchSize}`);
    }
    if (options.modules.length === 0) {
      throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, 'BaseSubscriber: give at least one source module');
    }
    this.transport = options.transport;
    this.topics = [...new Set(options.modules)].map((m) => l1Topic(m));
  }

  /** Handles one message; true when done. A throw counts as false, with its error kept. */
  protected abstract process(message: L2Message): Promise<boolean> | boolean;

  /**
   * Handles a batch, in stream order; one outcome per message. The default calls `process` for
   * each in turn. Override it for a bulk write (one INSERT for the batch).
   */
  protected async processBatch(messages: readonly L2Message[]): Promise<readonly MessageOutcome[]> {
    const out: MessageOutcome[] = [];
    for (const m of messages) {
      try {
        out.push(await this.process(m));
      } catch (error) {
        out.push(asError(error));
      }
    }
    return out;
  }

  /** Starts consuming every module's stream; resolves once all consumers are reading. */
  async start(): Promise<void> {
    if (this.consumers.length > 0) return;
    const rel = this.opts.reliability ?? createReliability(this.transport, this.opts.retry ? { retry: this.opts.retry } : {});
    if (!this.opts.reliability) this.reliability = rel;
    // Twice the batch in flight: the next batch fills while one is processed.
    const concurrency = this.opts.batchSize * 2;
    for (const topic of this.topics) {
      const batcher = createBatcher<L2Message, MessageOutcome>(this.opts.batchSize, this.opts.batchWaitMs, (ms) => this.runBatch(ms));
      this.consumers.push(
        rel.consume(topic, (env, ctx) => this.handle(batcher, env, ctx), {
          ...this.opts.consume,
          group: this.opts.group,
          ...(this.opts.consumer !== undefined ? { consumer: this.opts.consumer } : {}),
          concurrency,
          prefetch: concurrency,
        }),
      );
    }
    await Promise.all(this.consumers.map((c) => c.ready()));
  }

  /** Stops reading, lets batches in hand finish (up to `deadlineMs`), flushes acks. */
  async stop(deadlineMs?: number): Promise<void> {
    const consumers = this.consumers;
    this.consumers = [];
    await Promise.all(consumers.map((c) => c.close(deadlineMs)));
    await this.reliability?.close();
    this.reliability = undefined;
  }

  counters(): SubscriberCounters {
    return { ...this.stats };
  }

  /** The dead letters of this subscriber's topics; undefined before `start()` when it makes its own reliability. */
  deadLetters(): Reliability['deadLetters'] | undefined {
    return (this.opts.reliability ?? this.reliability)?.deadLetters;
  }

  private async runBatch(messages: L2Message[]): Promise<readonly MessageOutcome[]> {
    this.stats.batches++;
    return this.processBatch(messages);
  }

  private async handle(batcher: Batcher<L2Message, MessageOutcome>, env: Envelope, ctx: DeliveryContext): Promise<void> {
    const parsed = l1EventSchema.safeParse(env.payload);
    if (!parsed.success) {
      this.stats.invalid++;
      const issue = parsed.error.issues[0];
      throw new PermanentError(`not an L1 event: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}`);
    }
    const event = parsed.data as L1Event;
    let outcome: MessageOutcome;
    try {
      outcome = await batcher.add({
        event,
        envelope: { ...env, payload: event },
        topic: ctx.topic,
        sourceModule: event.source_module,
        streamId: ctx.streamId,
        attempt: ctx.attempt,
        signal: ctx.signal,
      });
    } catch (error) {
      // processBatch itself threw: the whole batch failed.
      outcome = asError(error);
    }
    if (outcome === true) {
      this.stats.succeeded++;
      return;
    }
    this.stats.failed++;
    throw outcome === false ? new Error(`${this.constructor.name}.process returned false`) : outcome;
  }
}
