import { AgentbusError, ERROR_CODES, isAgentbusError } from '@agentbus/schema';
import type {
  ConsumeOptions,
  Consumer,
  Handler,
  Rejection,
  RejectionOutcome,
  Transport,
} from '@agentbus/transport';
import type { AttemptRecord, DeadLetterReason } from './dead-letter';
import { createDeadLetters, type DeadLetters } from './dead-letters';
import type { DeliveryRef, ReliabilityStore } from './internal/reliability-store';
import { createMemoryReliabilityStore } from './memory/memory-reliability-store';
import { createRedisReliabilityStore } from './redis/redis-reliability-store';
import { createRetryScheduler } from './retry-scheduler';
import { isPermanent, resolveRetryPolicy, retryDelayMs, type ResolvedRetryPolicy, type RetryPolicy } from './retry-policy';

export interface ReliabilityHooks {
  onRetry?(topic: string, attempt: number, delayMs: number, rejection: Rejection): void;
  onDeadLetter?(topic: string, reason: DeadLetterReason, rejection: Rejection): void;
  onReplay?(topic: string, count: number): void;
  /** The `deadLetterMaxLen` cap removed `count` of the topic's oldest dead letters to make room. */
  onDeadLetterDropped?(topic: string, count: number): void;
}

export interface ReliabilityOptions {
  /** Retry schedule for every topic. Default 5 s, 15 s, 60 s (4 attempts), jitter 0.1. */
  retry?: RetryPolicy;
  /** Retry schedules per topic, over `retry`. */
  topics?: Record<string, RetryPolicy>;
  /** An entry delivered more often than this is poison (it keeps killing its consumer). Default 5. */
  maxDeliveries?: number;
  /**
   * How often each consumer looks for due retries of its group on the partitions it owns (ms).
   * A set with nothing due is skipped until its next retry falls due. Default 500.
   */
  schedulerIntervalMs?: number;
  /**
   * Longest a consumer leaves one of its delayed sets unchecked (ms): retries another process
   * scheduled there are moved at most this late. Default 5,000.
   */
  schedulerRecheckMs?: number;
  /**
   * Each dead-letter stream holds at most this many entries, exactly; the oldest are dropped and
   * counted (`deadLetters.dropped`, hook `onDeadLetterDropped`). Default 100,000; 0 = no cap.
   */
  deadLetterMaxLen?: number;
  /** Kept attempt history per message. Default 20. */
  maxHistory?: number;
  hooks?: ReliabilityHooks;
}

export const DEFAULT_RELIABILITY_OPTIONS = {
  maxDeliveries: 5,
  schedulerIntervalMs: 500,
  schedulerRecheckMs: 5_000,
  deadLetterMaxLen: 100_000,
  maxHistory: 20,
} as const satisfies ReliabilityOptions;

export interface Reliability {
  /**
   * `transport.consume` with retries, dead letters and poison detection wired in. The consumer
   * also moves its group's due retries on the partitions it owns.
   */
  consume(topic: string, handler: Handler, options: ConsumeOptions): Consumer;
  deadLetters: DeadLetters;
  /**
   * Moves due retries of a topic into their groups' inboxes now, on every partition; returns
   * how many. Default: every group the topic's streams know.
   */
  moveDue(topic: string, group?: string): Promise<number>;
  /** Retries scheduled and not yet moved, of one group or (default) every group of the topic. */
  delayed(topic: string, group?: string): Promise<number>;
  /** Stops the schedulers (consumers are closed by their owners or the transport). */
  close(): Promise<void>;
}

const REASONS: Record<Rejection['reason'], DeadLetterReason> = {
  invalid: 'invalid',
  expired: 'expired',
  'bad-signature': 'bad-signature',
  poison: 'poison',
  'handler-error': 'handler-error',
};

function historyOf(headers: string | null): AttemptRecord[] {
  if (!headers) return [];
  try {
    const h = JSON.parse(headers) as { history?: unknown };
    return Array.isArray(h.history) ? (h.history as AttemptRecord[]) : [];
  } catch {
    return [];
  }
}

function isBusyElsewhere(error: Error): boolean {
  return isAgentbusError(error) && (error as AgentbusError).code === ERROR_CODES.CONFLICT;
}

function checkOptions(o: Required<Omit<ReliabilityOptions, 'retry' | 'topics' | 'hooks'>>): void {
  const rules: Array<[keyof typeof o, number, boolean]> = [
    ['maxDeliveries', 1, true],
    ['schedulerIntervalMs', 1, false],
    ['schedulerRecheckMs', 1, false],
    ['deadLetterMaxLen', 0, true],
    ['maxHistory', 0, true],
  ];
  for (const [name, min, integer] of rules) {
    const v = o[name];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (integer && !Number.isInteger(v))) {
      throw new AgentbusError(
        ERROR_CODES.INVALID_ARGUMENT,
        `createReliability: ${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got ${String(v)}`,
      );
    }
  }
}

/**
 * Retries with backoff through per-group delayed sets, dead-letter streams with replay, and
 * poison detection, composed onto a Transport: `consume` passes transport an `onRejected` and
 * `maxDeliveries`; transport itself knows nothing of this package. A retry goes back to the group
 * that failed it (its inbox stream), never to the topic's other groups.
 */
export function createReliability(transport: Transport, options: ReliabilityOptions = {}): Reliability {
  const o = { ...DEFAULT_RELIABILITY_OPTIONS, ...options };
  checkOptions(o);
  const store: ReliabilityStore = transport.redis
    ? createRedisReliabilityStore(transport.redis, transport.keys, o.deadLetterMaxLen)
    : createMemoryReliabilityStore(transport, o.deadLetterMaxLen);
  const policies = new Map<string, ResolvedRetryPolicy>();
  const base = resolveRetryPolicy(o.retry);
  const hooks = o.hooks ?? {};
  const scheduler = createRetryScheduler({
    store,
    partitionsOf: (topic) => transport.partitionsOf(topic),
    intervalMs: o.schedulerIntervalMs,
    recheckMs: o.schedulerRecheckMs,
  });
  let closed = false;

  function policyOf(topic: string): ResolvedRetryPolicy {
    let p = policies.get(topic);
    if (!p) {
      const own = o.topics?.[topic];
      p = own ? resolveRetryPolicy({ ...o.retry, ...own }) : base;
      policies.set(topic, p);
    }
    return p;
  }

  function refOf(r: Rejection): DeliveryRef {
    return {
      topic: r.topic,
      partitionTopic: transport.partitionsOf(r.topic)[r.partition] ?? r.topic,
      stream: r.stream,
      lane: r.lane,
      group: r.group,
      consumer: r.consumer,
      streamId: r.streamId,
    };
  }

  async function retryLater(ref: DeliveryRef, dueAt: number, raw: string, headers: string): Promise<void> {
    await store.scheduleRetry(ref, dueAt, raw, headers);
    scheduler.scheduled(ref.partitionTopic, ref.group, dueAt);
  }

  async function onRejected(r: Rejection): Promise<RejectionOutcome> {
    const ref = refOf(r);
    const now = Date.now();
    const history = [...historyOf(r.headers), { attempt: r.attempt, at: now, error: r.error.message }].slice(-o.maxHistory);
    let reason = REASONS[r.reason];
    if (r.reason === 'handler-error' && isBusyElsewhere(r.error)) {
      // Another consumer holds this message's idempotency lease: come back later, and do not
      // count it as a failed attempt.
      const delay = Math.max(50, (r.error as { retryAfterMs?: number }).retryAfterMs ?? policyOf(r.topic).delaysMs[0] ?? 1000);
      await retryLater(ref, now + delay, r.raw, r.headers ?? JSON.stringify({ attempt: r.attempt }));
      return 'ack';
    }
    if (r.reason === 'handler-error' && !isPermanent(r.error)) {
      const policy = policyOf(r.topic);
      if (r.attempt < policy.maxAttempts) {
        const delay = retryDelayMs(policy, r.attempt);
        await retryLater(ref, now + delay, r.raw, JSON.stringify({ attempt: r.attempt + 1, history }));
        hooks.onRetry?.(r.topic, r.attempt + 1, delay, r);
        return 'ack';
      }
      reason = 'max-deliveries';
    }
    const out = await store.deadLetter({ ...ref, raw: r.raw, reason, error: r.error.message, attempts: JSON.stringify(history), at: now });
    hooks.onDeadLetter?.(r.topic, reason, r);
    if (out && out.dropped > 0) hooks.onDeadLetterDropped?.(r.topic, out.dropped);
    return 'ack';
  }

  /** The groups of a topic: those its streams know, and those consuming here. */
  async function groupsOf(topic: string): Promise<string[]> {
    const known = new Set((await transport.stats(topic)).groups.map((g) => g.name));
    for (const p of scheduler.polled()) if (p.topic === topic) known.add(p.group);
    return [...known];
  }

  const deadLetters = createDeadLetters(transport, store, hooks.onReplay?.bind(hooks));

  return {
    consume(topic, handler, consumeOptions) {
      if (closed) throw new AgentbusError(ERROR_CODES.CLOSED, 'reliability is closed');
      policyOf(topic);
      const c = transport.consume(topic, handler, {
        maxDeliveries: o.maxDeliveries,
        ...consumeOptions,
        onRejected,
      });
      const release = scheduler.watch(c, consumeOptions.onError);
      const close = c.close.bind(c);
      return Object.assign(c, {
        close: async (deadlineMs?: number) => {
          release();
          await close(deadlineMs);
        },
      });
    },
    deadLetters,
    async moveDue(topic, group) {
      return scheduler.moveAll(topic, group === undefined ? await groupsOf(topic) : [group]);
    },
    async delayed(topic, group) {
      const groups = group === undefined ? await groupsOf(topic) : [group];
      const counts = await Promise.all(
        transport.partitionsOf(topic).flatMap((pt) => [store.legacyDelayed(pt), ...groups.map((g) => store.delayed(pt, g))]),
      );
      return counts.reduce((a, b) => a + b, 0);
    },
    async close() {
      closed = true;
      scheduler.close();
    },
  };
}
