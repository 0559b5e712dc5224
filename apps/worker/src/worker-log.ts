import { traceLogFields } from '@agentbus/metrics';
import type { ReliabilityHooks } from '@agentbus/reliability';
import type { Envelope } from '@agentbus/schema';
import type { DeliveryContext, Handler, Rejection, TransportHooks } from '@agentbus/transport';

export type WorkerLogLevel = 'info' | 'warn' | 'error';

/** Where the worker's log lines go: one call per line, fields beside the message. */
export type WorkerLog = (level: WorkerLogLevel, msg: string, fields?: Record<string, unknown>) => void;

/**
 * JSON lines on stdout, every level: one stream keeps them in order for a log collector. stderr
 * is left to the one line a failed start exits with.
 */
export const jsonLog: WorkerLog = (level, msg, fields = {}) => {
  process.stdout.write(`${JSON.stringify({ level, time: new Date().toISOString(), msg, ...fields })}\n`);
};

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function deliveryFields(env: Envelope, ctx: DeliveryContext): Record<string, unknown> {
  return {
    topic: ctx.topic,
    group: ctx.group,
    consumer: ctx.consumer,
    id: env.id,
    type: env.type,
    streamId: ctx.streamId,
    attempt: ctx.attempt,
    deliveryCount: ctx.deliveryCount,
    // Inside the handler's CONSUMER span: the line joins its trace.
    ...traceLogFields(),
  };
}

function rejectionFields(r: Rejection): Record<string, unknown> {
  return {
    topic: r.topic,
    group: r.group,
    consumer: r.consumer,
    id: r.envelope?.id,
    type: r.envelope?.type,
    streamId: r.streamId,
    attempt: r.attempt,
    deliveryCount: r.deliveryCount,
    error: r.error.message,
  };
}

/**
 * The handler with a line for each failure (`handler failed`) and each abort (`handler aborted`:
 * TIMEOUT, LEASE_LOST, CLOSED). A rejection after the abort is the same failure, not a second
 * line. A handler that returns synchronously stays synchronous.
 */
export function loggedHandler(handler: Handler, log: WorkerLog): Handler {
  return (env, ctx) => {
    const failed = (error: unknown) => log('warn', 'handler failed', { ...deliveryFields(env, ctx), error: errorText(error) });
    let result: void | Promise<void>;
    try {
      result = handler(env, ctx);
    } catch (error) {
      failed(error);
      throw error;
    }
    if (!result || typeof result.then !== 'function') return result;
    const signal = ctx.signal;
    const onAbort = () => log('warn', 'handler aborted', { ...deliveryFields(env, ctx), code: codeOf(signal.reason), error: errorText(signal.reason) });
    signal.addEventListener('abort', onAbort, { once: true });
    return result.then(
      () => signal.removeEventListener('abort', onAbort),
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        if (!signal.aborted) failed(error);
        throw error;
      },
    );
  };
}

/** A line per retry scheduled, message dead-lettered, and dead letters dropped by the cap. */
export function reliabilityLogHooks(log: WorkerLog): ReliabilityHooks {
  return {
    onRetry(_topic, attempt, delayMs, rejection) {
      log('info', 'retry scheduled', { ...rejectionFields(rejection), attempt, delayMs });
    },
    onDeadLetter(_topic, reason, rejection) {
      log('error', 'dead-lettered', { ...rejectionFields(rejection), reason });
    },
    onDeadLetterDropped(topic, count) {
      log('error', 'dead letters dropped', { topic, count, hint: 'the dead-letter stream is at its cap (deadLetterMaxLen): replay or purge it' });
    },
  };
}

/** A line each time this consumer loses leases (entries taken over while it held them). */
export function transportLogHooks(log: WorkerLog): TransportHooks {
  return {
    onLeaseLost(topic, group, count) {
      log('warn', 'lease lost', { topic, group, count, hint: 'another consumer took these entries over: the event loop was blocked or Redis unreachable for claimIdleMs' });
    },
  };
}

/**
 * Says whether an error line is due: the first of each distinct error is, then none of the same
 * for `windowMs`; the next one after that carries how many were held back (`repeats`). A read loop
 * retrying the same failure every few ms thus costs one line per window, not thousands.
 */
export function errorThrottle(windowMs = 10_000, now: () => number = Date.now): (key: string) => { due: boolean; repeats: number } {
  const seen = new Map<string, { at: number; held: number }>();
  return (key) => {
    const t = now();
    const last = seen.get(key);
    if (last && t - last.at < windowMs) {
      last.held++;
      return { due: false, repeats: 0 };
    }
    if (seen.size >= 1000) {
      for (const [k, v] of seen) if (t - v.at >= windowMs) seen.delete(k);
    }
    seen.set(key, { at: t, held: 0 });
    return { due: true, repeats: last?.held ?? 0 };
  };
}
