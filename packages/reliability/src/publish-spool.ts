import { AgentbusError, ERROR_CODES, isAgentbusError } from '@agentbus/schema';
import type { CircuitBreaker, RunOptions } from './circuit-breaker';
import { CircuitOpenError } from './errors';
import { createSpool, type Spool } from './internal/spool';

export interface PublishSpoolOptions {
  /**
   * Messages held at most (a batch counts as its envelopes). Past it a publish rejects with a
   * BACKPRESSURE SpoolFullError. Default 10 000.
   */
  maxEntries?: number;
  /**
   * Longest a publish waits in the spool (ms). Past it it leaves the spool unsent and rejects with
   * TIMEOUT (INDETERMINATE when an earlier attempt of it got no answer), so a caller never waits
   * forever on a Redis that stays down. 0 = no limit. Default 120 000 (Kafka's
   * delivery.timeout.ms).
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
  /**
   * Spooled messages sent at once once the breaker closed again (in spool order, pipelined on the
   * connection); the half-open probe is always one. 1 sends them one round trip at a time.
   * Default 100.
   */
  drainWindow?: number;
}

export const DEFAULT_PUBLISH_SPOOL_OPTIONS = {
  maxEntries: 10_000,
  maxWaitMs: 120_000,
  retryDelayMs: 250,
  pubsub: false,
  drainWindow: 100,
} as const satisfies Required<PublishSpoolOptions>;

/** A publish is a write that may still land after its timeout: it reports INDETERMINATE. */
export const WRITE: RunOptions = { onTimeout: 'indeterminate' };

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

/** The spool options with the defaults applied, checked; throws INVALID_ARGUMENT naming the option. */
export function resolveSpoolOptions(given: PublishSpoolOptions): Required<PublishSpoolOptions> {
  const o: Required<PublishSpoolOptions> = { ...DEFAULT_PUBLISH_SPOOL_OPTIONS };
  for (const [k, v] of Object.entries(given)) if (v !== undefined) Object.assign(o, { [k]: v });
  const bad = (what: string) => {
    throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, `withCircuitBreaker: ${what}`);
  };
  if (!Number.isInteger(o.maxEntries) || o.maxEntries < 1) bad(`spool.maxEntries must be an integer >= 1, got ${o.maxEntries}`);
  if (!(o.maxWaitMs >= 0)) bad(`spool.maxWaitMs must be >= 0 (0 = no limit), got ${o.maxWaitMs}`);
  if (!(o.retryDelayMs >= 0)) bad(`spool.retryDelayMs must be >= 0, got ${o.retryDelayMs}`);
  if (!Number.isInteger(o.drainWindow) || o.drainWindow < 1) bad(`spool.drainWindow must be an integer >= 1, got ${o.drainWindow}`);
  return o;
}

interface Entry {
  what: string;
  weight: number;
  /** Run with {@link WRITE}: a stream publish (Pub/Sub keeps TIMEOUT: it has no dedupe). */
  write: boolean;
  /** An attempt got no answer: it may have been written, so giving up is INDETERMINATE. */
  attempted: boolean;
  /** Date.now() past which it is rejected unwritten; Infinity without maxWaitMs. */
  deadline: number;
  send: () => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Publishes held in process while a circuit breaker refuses them, sent in order once it lets
 * calls through again: the half-open probe alone, then windows of `drainWindow`. Each publish's
 * promise settles only with its real outcome.
 */
export class PublishSpool {
  private readonly spool: Spool<Entry>;
  private closed = false;
  private draining = false;
  private drainTimer: NodeJS.Timeout | undefined;
  private drainAt = Infinity;
  private expiryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly breaker: CircuitBreaker,
    private readonly o: Required<PublishSpoolOptions>,
  ) {
    this.spool = createSpool<Entry>({ maxEntries: o.maxEntries, weight: (e) => e.weight });
  }

  /** Messages held, those being sent included. */
  size(): number {
    return this.spool.size();
  }

  /** Entries held (a batch is one), those being sent included. */
  length(): number {
    return this.spool.length();
  }

  /** Holds a publish; its promise settles once it was written, refused, or given up. */
  enqueue<T>(what: string, weight: number, write: boolean, send: () => Promise<T>): Promise<T> {
    const s = this.spool;
    if (!s.fits(weight)) {
      if (weight > s.maxEntries) {
        return Promise.reject(
          new AgentbusError(
            ERROR_CODES.INVALID_ARGUMENT,
            `${what}: ${weight} messages can never fit the spool of circuit ${this.breaker.name} (spool.maxEntries = ${s.maxEntries}); send smaller batches`,
          ),
        );
      }
      // Open: room comes back once it closes; closed and draining: within a retry delay or so.
      return Promise.reject(new SpoolFullError(this.breaker.name, s.size(), s.maxEntries, this.waitAfterFailure()));
    }
    const deadline = this.o.maxWaitMs > 0 ? Date.now() + this.o.maxWaitMs : Infinity;
    const promise = new Promise<T>((resolve, reject) => {
      s.push({ what, weight, write, attempted: false, deadline, send, resolve: (v) => resolve(v as T), reject });
    });
    if (!this.expiryTimer) this.armExpiry();
    // A pending timer is a backoff after a failure (or the open period): respect it.
    if (!this.draining && !this.drainTimer) {
      if (this.breaker.allows()) void this.drain();
      else this.scheduleDrain(this.waitAfterFailure());
    }
    return promise;
  }

  /** The breaker let calls through again (a probe or reset elsewhere may beat our timer). */
  resume(): void {
    if (this.spool.length() > 0 && !this.draining) void this.drain();
  }

  /** Stops the timers and rejects what waits, unsent; entries being sent settle on their own. */
  close(): void {
    this.closed = true;
    if (this.drainTimer) clearTimeout(this.drainTimer);
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.drainTimer = this.expiryTimer = undefined;
    const why = `was still in the spool of circuit ${this.breaker.name} when the transport closed`;
    for (const e of this.spool.clear()) e.reject(this.unsentError(e, 'CLOSED', why));
  }

  // Timers are left ref'd on purpose: while messages wait in the spool the process has work in
  // flight, as it does with an open socket; letting it exit would drop them silently.
  private scheduleDrain(ms: number): void {
    if (this.closed) return;
    const at = Date.now() + ms;
    if (this.drainTimer && this.drainAt <= at) return;
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.drainAt = at;
    this.drainTimer = setTimeout(() => {
      this.drainTimer = undefined;
      this.drainAt = Infinity;
      void this.drain();
    }, ms);
  }

  private waitAfterFailure(): number {
    const s = this.breaker.stats();
    return s.state === 'open' ? Math.max(1, s.retryAfterMs) : this.o.retryDelayMs;
  }

  /** An entry leaves the spool unsent: not written, unless an earlier attempt may have landed. */
  private unsentError(e: Entry, code: 'TIMEOUT' | 'CLOSED', why: string, cause?: unknown): AgentbusError {
    const options = cause === undefined ? {} : { cause };
    if (e.attempted) {
      return new AgentbusError(
        ERROR_CODES.INDETERMINATE,
        `${e.what} ${why}; an earlier attempt got no answer, so it may or may not have been written. Publish it again unchanged (it dedupes by envelope id)`,
        options,
      );
    }
    return new AgentbusError(ERROR_CODES[code], `${e.what} ${why} and was not written`, options);
  }

  private expiredError(e: Entry, cause?: unknown): AgentbusError {
    const why = `waited ${this.o.maxWaitMs} ms in the spool of circuit ${this.breaker.name} (spool.maxWaitMs) while Redis stayed unavailable`;
    return this.unsentError(e, 'TIMEOUT', why, cause);
  }

  private expire(): void {
    if (this.o.maxWaitMs === 0) return;
    const t = Date.now();
    for (const e of this.spool.shiftWhile((x) => x.deadline <= t)) e.reject(this.expiredError(e));
  }

  private armExpiry(): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    const head = this.spool.peek();
    if (!head || this.closed || !Number.isFinite(head.deadline)) return;
    this.expiryTimer = setTimeout(() => {
      this.expiryTimer = undefined;
      this.expire();
      this.armExpiry();
    }, Math.max(0, head.deadline - Date.now()));
  }

  /**
   * Settles a window of sent entries in order: the written ones resolve, a caller's error rejects
   * alone; returns those to try again, which go back to the front.
   */
  private settleWindow(window: readonly Entry[], outcomes: ReadonlyArray<PromiseSettledResult<unknown>>): Entry[] {
    const again: Entry[] = [];
    window.forEach((entry, i) => {
      const outcome = outcomes[i]!;
      if (outcome.status === 'fulfilled') {
        this.spool.done(entry);
        entry.resolve(outcome.value);
        return;
      }
      const error: unknown = outcome.reason;
      if (isAgentbusError(error) && error.code === ERROR_CODES.INDETERMINATE) entry.attempted = true;
      const retryable = error instanceof CircuitOpenError || this.breaker.isFailure(error);
      if (this.closed || !retryable) {
        this.spool.done(entry);
        entry.reject(error);
      } else if (Date.now() >= entry.deadline) {
        this.spool.done(entry);
        entry.reject(this.expiredError(entry, error));
      } else {
        again.push(entry);
      }
    });
    return again;
  }

  /** Takes the next entries the breaker lets through (one while half-open) and sends them. */
  private sendWindow(): { window: Entry[]; runs: Array<Promise<unknown>> } {
    const window: Entry[] = [];
    const runs: Array<Promise<unknown>> = [];
    while (window.length < this.o.drainWindow && this.spool.peek() !== undefined && this.breaker.allows()) {
      const entry = this.spool.take()!;
      window.push(entry);
      runs.push(this.breaker.run(entry.send, entry.write ? WRITE : undefined));
    }
    return { window, runs };
  }

  /**
   * Sends the spool's entries in order while the breaker lets calls through. A window goes out in
   * order on the connection and Redis runs it in that order, so the spool drains at Redis's
   * pipelined speed instead of one round trip (and, with appendfsync always, one fsync) per
   * message.
   */
  private async drain(): Promise<void> {
    if (this.draining || this.closed) return;
    this.draining = true;
    try {
      for (;;) {
        this.expire();
        if (this.spool.peek() === undefined) return;
        if (!this.breaker.allows()) {
          this.scheduleDrain(this.waitAfterFailure());
          return;
        }
        const { window, runs } = this.sendWindow();
        this.armExpiry();
        const again = this.settleWindow(window, await Promise.allSettled(runs));
        if (again.length > 0) {
          // They keep their place at the front: order holds across failed attempts.
          this.spool.putBack(again);
          this.armExpiry();
          this.scheduleDrain(this.waitAfterFailure());
          return;
        }
      }
    } finally {
      this.draining = false;
      this.armExpiry();
    }
  }
}
