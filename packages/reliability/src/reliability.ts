import { AgentbusError, decodeEnvelope, ERROR_CODES, isAgentbusError } from '@agentbus/schema';
import type {
  ConsumeOptions,
  Consumer,
  Handler,
  Rejection,
  RejectionOutcome,
  Transport,
} from '@agentbus/transport';
import type {
  AttemptRecord,
  DeadLetter,
  DeadLetterReason,
  ReplayOptions,
  ReplayResult,
  ReplaySelection,
} from './dead-letter';
import type { DeliveryRef, ReliabilityStore } from './internal/reliability-store';
import { createMemoryReliabilityStore } from './memory/memory-reliability-store';
import { createRedisReliabilityStore } from './redis/redis-reliability-store';
import { isPermanent, resolveRetryPolicy, retryDelayMs, type ResolvedRetryPolicy, type RetryPolicy } from './retry-policy';

export interface ReliabilityHooks {
  onRetry?(topic: string, attempt: number, delayMs: number, rejection: Rejection): void;
  onDeadLetter?(topic: string, reason: DeadLetterReason, rejection: Rejection): void;
  onReplay?(topic: string, count: number): void;
}

export interface ReliabilityOptions {
  /** Retry schedule for every topic. Default 5 s, 15 s, 60 s (4 attempts), jitter 0.1. */
  retry?: RetryPolicy;
  /** Retry schedules per topic, over `retry`. */
  topics?: Record<string, RetryPolicy>;
  /** An entry delivered more often than this is poison (it keeps killing its consumer). Default 5. */
  maxDeliveries?: number;
  /** How often each consumer moves due retries back to its streams (ms). Default 500. */
  schedulerIntervalMs?: number;
  /** Dead-letter streams are capped at about this many entries (MAXLEN ~). Default 100,000; 0 = no cap. */
  deadLetterMaxLen?: number;
  /** Kept attempt history per message. Default 20. */
  maxHistory?: number;
  hooks?: ReliabilityHooks;
}

export const DEFAULT_RELIABILITY_OPTIONS = {
  maxDeliveries: 5,
  schedulerIntervalMs: 500,
  deadLetterMaxLen: 100_000,
  maxHistory: 20,
} as const satisfies ReliabilityOptions;

/** List, inspect, replay and purge a topic's dead letters. */
export interface DeadLetters {
  list(topic: string, options?: { from?: string; to?: string; count?: number }): Promise<DeadLetter[]>;
  get(topic: string, id: string): Promise<DeadLetter | undefined>;
  replay(topic: string, selection: ReplaySelection, options?: ReplayOptions): Promise<ReplayResult>;
  /** Removes the selected dead letters (or all); returns how many. */
  purge(topic: string, selection?: { ids: readonly string[] } | 'all'): Promise<number>;
  /** Dead letters waiting, over all partitions: for metrics and alerts. */
  depth(topic: string): Promise<number>;
}

export interface Reliability {
  /** `transport.consume` with retries, dead letters and poison detection wired in. */
  consume(topic: string, handler: Handler, options: ConsumeOptions): Consumer;
  deadLetters: DeadLetters;
  /** Moves due retries of a topic back to its streams now; returns how many. */
  moveDue(topic: string): Promise<number>;
  /** Retries scheduled and not yet due. */
  delayed(topic: string): Promise<number>;
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

/**
 * Retries with backoff through a per-topic delayed set, dead-letter streams with replay, and
 * poison detection, composed onto a Transport: `consume` passes transport an `onRejected` and
 * `maxDeliveries`; transport itself knows nothing of this package.
 */
export function createReliability(transport: Transport, options: ReliabilityOptions = {}): Reliability {
  const o = { ...DEFAULT_RELIABILITY_OPTIONS, ...options };
  const store: ReliabilityStore = transport.redis
    ? createRedisReliabilityStore(transport.redis, transport.keys, o.deadLetterMaxLen)
    : createMemoryReliabilityStore(transport);
  const policies = new Map<string, ResolvedRetryPolicy>();
  const base = resolveRetryPolicy(o.retry);
  const hooks = o.hooks ?? {};
  const watched = new Map<string, { count: number; timer: NodeJS.Timeout }>();
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

  async function onRejected(r: Rejection): Promise<RejectionOutcome> {
    const ref = refOf(r);
    const now = Date.now();
    const history = [...historyOf(r.headers), { attempt: r.attempt, at: now, error: r.error.message }].slice(-o.maxHistory);
    let reason = REASONS[r.reason];
    if (r.reason === 'handler-error' && isBusyElsewhere(r.error)) {
      // Another consumer holds this message's idempotency lease: come back later, and do not
      // count it as a failed attempt.
      const delay = Math.max(50, (r.error as { retryAfterMs?: number }).retryAfterMs ?? policyOf(r.topic).delaysMs[0] ?? 1000);
      await store.scheduleRetry(ref, now + delay, r.raw, r.headers ?? JSON.stringify({ attempt: r.attempt }));
      return 'ack';
    }
    if (r.reason === 'handler-error' && !isPermanent(r.error)) {
      const policy = policyOf(r.topic);
      if (r.attempt < policy.maxAttempts) {
        const delay = retryDelayMs(policy, r.attempt);
        const headers = JSON.stringify({ attempt: r.attempt + 1, history });
        await store.scheduleRetry(ref, now + delay, r.raw, headers);
        hooks.onRetry?.(r.topic, r.attempt + 1, delay, r);
        return 'ack';
      }
      reason = 'max-deliveries';
    }
    await store.deadLetter({ ...ref, raw: r.raw, reason, error: r.error.message, attempts: JSON.stringify(history), at: now });
    hooks.onDeadLetter?.(r.topic, reason, r);
    return 'ack';
  }

  async function moveDue(topic: string): Promise<number> {
    let moved = 0;
    for (const pt of transport.partitionsOf(topic)) {
      // Drain in slices so one call never holds Redis long.
      for (;;) {
        const n = await store.moveDue(pt, Date.now(), 500);
        moved += n;
        if (n < 500) break;
      }
    }
    return moved;
  }

  function watch(topic: string, onError: ((e: Error) => void) | undefined): () => void {
    let w = watched.get(topic);
    if (!w) {
      const timer = setInterval(() => {
        moveDue(topic).catch((e: unknown) => onError?.(e instanceof Error ? e : new Error(String(e))));
      }, o.schedulerIntervalMs);
      timer.unref?.();
      w = { count: 0, timer };
      watched.set(topic, w);
    }
    w.count++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const cur = watched.get(topic);
      if (cur && --cur.count === 0) {
        clearInterval(cur.timer);
        watched.delete(topic);
      }
    };
  }

  async function selectIds(topic: string, pt: string, selection: ReplaySelection): Promise<DeadLetter[]> {
    if (selection === 'all') return store.list(pt, '-', '+', Number.MAX_SAFE_INTEGER);
    if ('ids' in selection) {
      const wanted = new Set(selection.ids);
      const all = await store.list(pt, '-', '+', Number.MAX_SAFE_INTEGER);
      return all.filter((d) => wanted.has(d.id));
    }
    return store.list(pt, selection.from ?? '-', selection.to ?? '+', selection.count ?? Number.MAX_SAFE_INTEGER);
  }

  const deadLetters: DeadLetters = {
    async list(topic, opts = {}) {
      const out: DeadLetter[] = [];
      for (const pt of transport.partitionsOf(topic)) {
        out.push(...(await store.list(pt, opts.from ?? '-', opts.to ?? '+', opts.count ?? 100)));
      }
      return out.slice(0, opts.count ?? 100);
    },
    async get(topic, id) {
      for (const pt of transport.partitionsOf(topic)) {
        const [d] = await store.list(pt, id, id, 1);
        if (d) return d;
      }
      return undefined;
    },
    async replay(topic, selection, opts = {}) {
      const result: ReplayResult = { replayed: 0, skipped: [] };
      const chosen: DeadLetter[] = [];
      for (const pt of transport.partitionsOf(topic)) chosen.push(...(await selectIds(topic, pt, selection)));
      let done = 0;
      for (const d of chosen) {
        const decoded = decodeEnvelope(d.raw);
        if (!decoded.ok) {
          result.skipped.push({ id: d.id, error: decoded.error.message });
          continue;
        }
        // Published first, removed after: a crash in between replays it twice, never loses it.
        try {
          await transport.publish(opts.to ?? d.partitionTopic, decoded.value, {
            headers: { attempt: 1, replayedFrom: d.id, history: d.attempts as unknown as Array<unknown> },
          });
        } catch (error) {
          // What the topic refuses as it is (too large, ...) stays a dead letter; an outage stops the replay.
          if (isAgentbusError(error) && !(error as AgentbusError).retryable) {
            result.skipped.push({ id: d.id, error: (error as Error).message });
            continue;
          }
          throw error;
        }
        await store.remove(d.partitionTopic, [d.id]);
        result.replayed++;
        opts.onProgress?.(++done, chosen.length);
      }
      if (result.replayed > 0) hooks.onReplay?.(topic, result.replayed);
      return result;
    },
    async purge(topic, selection = 'all') {
      let n = 0;
      for (const pt of transport.partitionsOf(topic)) {
        n += selection === 'all' ? await store.clear(pt) : await store.remove(pt, selection.ids);
      }
      return n;
    },
    async depth(topic) {
      let n = 0;
      for (const pt of transport.partitionsOf(topic)) n += await store.depth(pt);
      return n;
    },
  };

  return {
    consume(topic, handler, consumeOptions) {
      if (closed) throw new AgentbusError(ERROR_CODES.CLOSED, 'reliability is closed');
      policyOf(topic);
      const c = transport.consume(topic, handler, {
        maxDeliveries: o.maxDeliveries,
        ...consumeOptions,
        onRejected,
      });
      const release = watch(topic, consumeOptions.onError);
      const close = c.close.bind(c);
      return Object.assign(c, {
        close: async (deadlineMs?: number) => {
          release();
          await close(deadlineMs);
        },
      });
    },
    deadLetters,
    moveDue,
    async delayed(topic) {
      let n = 0;
      for (const pt of transport.partitionsOf(topic)) n += await store.delayed(pt);
      return n;
    },
    async close() {
      closed = true;
      for (const w of watched.values()) clearInterval(w.timer);
      watched.clear();
    },
  };
}
