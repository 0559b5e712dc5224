import { AgentbusError, ERROR_CODES, isAgentbusError, type AgentbusErrorCode } from '@agentbus/schema';
import { CircuitOpenError } from './errors';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Named in CircuitOpenError messages, so a log says which dependency is down. Default `default`. */
  name?: string;
  /** Length of the sliding time window of call outcomes (ms). Default 10 000. */
  windowMs?: number;
  /** Outcomes the window must hold before the failure rate may open the circuit. Default 5. */
  minimumCalls?: number;
  /** Opens when failures / calls in the window reach this (0 < x <= 1). Default 0.5. */
  failureRateThreshold?: number;
  /** How long it stays open before letting probe calls through (ms). Default 5000. */
  openMs?: number;
  /** Probe calls let through at once while half-open. Default 1. */
  halfOpenMaxCalls?: number;
  /**
   * A call still running after this many ms rejects and counts as a failure (ms; 0 = no limit):
   * with TIMEOUT, or INDETERMINATE for a write (`run(fn, { onTimeout: 'indeterminate' })`).
   * Default 2000. The call itself is not cancelled: its late outcome is ignored, so a timed-out
   * write may still land.
   */
  callTimeoutMs?: number;
  /**
   * Which errors count as failures of the protected dependency. Errors it returns false for are
   * neither failures nor successes: they pass through and leave the window untouched. Default
   * {@link isDependencyFailure}: every error except a caller's bad input (see there).
   */
  isFailure?: (error: unknown) => boolean;
  /** Clock (ms). Default `Date.now`; tests pass a fake one. */
  now?: () => number;
}

export interface CircuitBreakerStats {
  state: CircuitState;
  /** Outcomes (successes and failures) in the current window. */
  calls: number;
  /** Failures in the current window. */
  failures: number;
  /** failures / calls in the window; 0 when it is empty. */
  failureRate: number;
  /** How often it opened (closed -> open and half-open -> open) since it was created. */
  opened: number;
  /** Calls refused with CircuitOpenError since it was created. */
  rejected: number;
  /** While open: ms until probes are let through; 0 otherwise. */
  retryAfterMs: number;
  /**
   * Writes rejected with INDETERMINATE after `callTimeoutMs` since it was created: their outcome
   * is unknown, not failed (each also counts as a failure in the window: the dependency did not
   * answer).
   */
  indeterminate: number;
  /** How often `trip()` opened it (a lost connection) since it was created; included in `opened`. */
  tripped: number;
}

/** Options of one call through the breaker. */
export interface RunOptions {
  /**
   * What a call still running after `callTimeoutMs` rejects with. `timeout`: TIMEOUT, for reads
   * and calls without side effects. `indeterminate`: INDETERMINATE, for a write that may still
   * land (a publish): the caller must not take it as not written. Default `timeout`.
   */
  onTimeout?: 'timeout' | 'indeterminate';
}

export const DEFAULT_RUN_OPTIONS = {
  onTimeout: 'timeout',
} as const satisfies Required<RunOptions>;

export type CircuitStateListener = (to: CircuitState, from: CircuitState) => void;

export interface CircuitBreaker {
  readonly name: string;
  /**
   * Runs `fn` unless the circuit is open (then rejects at once with CircuitOpenError), records
   * its outcome, and rejects with a TIMEOUT AgentbusError (INDETERMINATE with
   * `onTimeout: 'indeterminate'`) if it takes longer than `callTimeoutMs`. Whether the call is let
   * through is decided synchronously, when `run` is called.
   */
  run<T>(fn: () => Promise<T>, options?: RunOptions): Promise<T>;
  /**
   * Opens the circuit now, whatever the window says: for a caller that knows the dependency is
   * gone (its connection closed). From closed or half-open it opens for `openMs` (outcomes of
   * calls still running are ignored); when already open nothing changes. It closes the usual
   * way, through a half-open probe.
   */
  trip(): void;
  /** Whether `run` called now would let the call through (closed, or a free half-open probe slot). */
  allows(): boolean;
  /** The state now; open turns into half-open here once `openMs` passed. */
  state(): CircuitState;
  stats(): CircuitBreakerStats;
  /** The `isFailure` in use, so wrappers can tell a dependency failure from a caller's error. */
  isFailure(error: unknown): boolean;
  /** Called on every state change; returns a function that removes the listener. */
  onStateChange(listener: CircuitStateListener): () => void;
  /** Back to closed with an empty window; outcomes of calls still running are ignored. */
  reset(): void;
}

/** Codes that mean the caller's input was refused, not that the dependency failed. */
const CALLER_ERROR_CODES: ReadonlySet<AgentbusErrorCode> = new Set<AgentbusErrorCode>([
  ERROR_CODES.INVALID_ARGUMENT,
  ERROR_CODES.INVALID_MESSAGE,
  ERROR_CODES.PAYLOAD_TOO_LARGE,
  ERROR_CODES.BACKPRESSURE,
  ERROR_CODES.DUPLICATE,
  // Our own component was closed: says nothing about Redis.
  ERROR_CODES.CLOSED,
]);

/**
 * The default `isFailure`: any error counts, except an AgentbusError whose code says the caller's
 * input was refused (INVALID_ARGUMENT, INVALID_MESSAGE, PAYLOAD_TOO_LARGE, BACKPRESSURE,
 * DUPLICATE) or that the caller closed it (CLOSED) — Redis answered, so it is up; opening the
 * circuit would punish every other caller. TIMEOUT and INDETERMINATE count: Redis did not answer.
 */
export function isDependencyFailure(error: unknown): boolean {
  if (isAgentbusError(error)) return !CALLER_ERROR_CODES.has(error.code);
  return true;
}

export const DEFAULT_CIRCUIT_BREAKER_OPTIONS = {
  name: 'default',
  windowMs: 10_000,
  minimumCalls: 5,
  failureRateThreshold: 0.5,
  openMs: 5_000,
  halfOpenMaxCalls: 1,
  callTimeoutMs: 2_000,
  isFailure: isDependencyFailure,
  // Read at call time, not bound once, so a test that fakes Date (vi.useFakeTimers) drives it too.
  now: () => Date.now(),
} as const satisfies Required<CircuitBreakerOptions>;

/** Outcomes recorded in the same millisecond share one slot, so the window is bounded by windowMs slots however busy. */
interface Slot {
  at: number;
  calls: number;
  failures: number;
}

/** The call outcomes of the last `windowMs`, counted exactly per millisecond. */
class OutcomeWindow {
  private readonly slots: Slot[] = [];
  private head = 0;
  calls = 0;
  failures = 0;

  constructor(private readonly windowMs: number) {}

  add(t: number, failed: boolean): void {
    this.prune(t);
    const last = this.slots[this.slots.length - 1];
    if (last && this.head < this.slots.length && last.at === t) {
      last.calls++;
      if (failed) last.failures++;
    } else {
      this.slots.push({ at: t, calls: 1, failures: failed ? 1 : 0 });
    }
    this.calls++;
    if (failed) this.failures++;
  }

  prune(t: number): void {
    const oldest = t - this.windowMs;
    while (this.head < this.slots.length && this.slots[this.head]!.at <= oldest) {
      const s = this.slots[this.head]!;
      this.calls -= s.calls;
      this.failures -= s.failures;
      this.head++;
    }
    // Compact now and then instead of shifting on every expiry (O(1) amortised).
    if (this.head > 1024 && this.head * 2 > this.slots.length) {
      this.slots.splice(0, this.head);
      this.head = 0;
    }
  }

  clear(): void {
    this.slots.length = 0;
    this.head = 0;
    this.calls = 0;
    this.failures = 0;
  }
}

function notify(name: string, listeners: ReadonlySet<CircuitStateListener>, to: CircuitState, from: CircuitState): void {
  for (const l of [...listeners]) {
    try {
      l(to, from);
    } catch (error) {
      // A listener's bug must not leave the breaker half-transitioned or skip other listeners.
      const e = error instanceof Error ? error : new Error(String(error));
      process.emitWarning(`agentbus: a state listener of circuit ${name} threw: ${e.message}`);
    }
  }
}

/** What a call still running after `callTimeoutMs` rejects with: its outcome is not known. */
function timeoutError(name: string, callTimeoutMs: number, onTimeout: RunOptions['onTimeout']): AgentbusError {
  if (onTimeout === 'indeterminate') {
    return new AgentbusError(
      ERROR_CODES.INDETERMINATE,
      `write through circuit ${name} got no answer within ${callTimeoutMs} ms (callTimeoutMs): it may or may not have happened, and may still land. Retry it unchanged (publishes dedupe by envelope id, so it is written once), or raise callTimeoutMs if Redis is only slow`,
    );
  }
  return new AgentbusError(
    ERROR_CODES.TIMEOUT,
    `call through circuit ${name} did not settle within ${callTimeoutMs} ms (callTimeoutMs); it counts as a failure, and may still complete`,
  );
}

function checkOptions(o: Required<CircuitBreakerOptions>): void {
  const bad = (what: string) => {
    throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, `circuit breaker ${o.name}: ${what}`);
  };
  if (!(o.windowMs > 0) || !Number.isFinite(o.windowMs)) bad(`windowMs must be > 0, got ${o.windowMs}`);
  if (!Number.isInteger(o.minimumCalls) || o.minimumCalls < 1) bad(`minimumCalls must be an integer >= 1, got ${o.minimumCalls}`);
  if (!(o.failureRateThreshold > 0 && o.failureRateThreshold <= 1)) {
    bad(`failureRateThreshold must be in (0, 1], got ${o.failureRateThreshold}`);
  }
  if (!(o.openMs >= 0) || !Number.isFinite(o.openMs)) bad(`openMs must be >= 0, got ${o.openMs}`);
  if (!Number.isInteger(o.halfOpenMaxCalls) || o.halfOpenMaxCalls < 1) {
    bad(`halfOpenMaxCalls must be an integer >= 1, got ${o.halfOpenMaxCalls}`);
  }
  if (!(o.callTimeoutMs >= 0) || !Number.isFinite(o.callTimeoutMs)) bad(`callTimeoutMs must be >= 0 (0 = no limit), got ${o.callTimeoutMs}`);
}

/**
 * A circuit breaker over a failure-rate window: closed (calls run, outcomes recorded), open
 * (calls rejected at once) and half-open (a few probe calls decide: a success closes it, a
 * failure re-opens it). It turns a dependency that hangs or refuses into fast, typed errors.
 */
export function createCircuitBreaker(options: CircuitBreakerOptions = {}): CircuitBreaker {
  const o: Required<CircuitBreakerOptions> = { ...DEFAULT_CIRCUIT_BREAKER_OPTIONS };
  for (const [k, v] of Object.entries(options)) if (v !== undefined) Object.assign(o, { [k]: v });
  checkOptions(o);
  const { name, windowMs, minimumCalls, failureRateThreshold, openMs, halfOpenMaxCalls, callTimeoutMs, isFailure, now } = o;

  let current: CircuitState = 'closed';
  // Bumped on every transition: an outcome of a call started in an earlier generation says
  // nothing about the state now, so it is not recorded.
  let generation = 0;
  let openedAt = 0;
  let probes = 0;
  let opened = 0;
  let rejected = 0;
  let indeterminate = 0;
  let tripped = 0;
  const window = new OutcomeWindow(windowMs);
  const listeners = new Set<CircuitStateListener>();

  function transition(to: CircuitState): void {
    const from = current;
    if (from === to) return;
    current = to;
    generation++;
    probes = 0;
    if (to === 'open') {
      openedAt = now();
      opened++;
    }
    if (to === 'closed') window.clear();
    notify(name, listeners, to, from);
  }

  function state(): CircuitState {
    if (current === 'open' && now() - openedAt >= openMs) transition('half-open');
    return current;
  }

  function retryAfterMs(): number {
    return current === 'open' ? Math.max(0, openedAt + openMs - now()) : 0;
  }

  function record(gen: number, failed: boolean): void {
    if (gen !== generation) return;
    if (current === 'half-open') {
      transition(failed ? 'open' : 'closed');
      return;
    }
    if (current !== 'closed') return;
    window.add(now(), failed);
    if (window.calls >= minimumCalls && window.failures / window.calls >= failureRateThreshold) transition('open');
  }

  function countsAsFailure(error: unknown): boolean | undefined {
    try {
      return isFailure(error) ? true : undefined;
    } catch {
      // A broken classifier must not leave the call unsettled; erring towards failure is safe.
      return true;
    }
  }

  function allows(): boolean {
    const s = state();
    return s === 'closed' || (s === 'half-open' && probes < halfOpenMaxCalls);
  }

  function run<T>(fn: () => Promise<T>, options: RunOptions = DEFAULT_RUN_OPTIONS): Promise<T> {
    if (!allows()) {
      rejected++;
      // Half-open with every probe slot taken: the probes settle within callTimeoutMs at most.
      const wait = current === 'open' ? retryAfterMs() : callTimeoutMs || openMs;
      return Promise.reject(new CircuitOpenError(name, wait));
    }
    const gen = generation;
    const probe = current === 'half-open';
    if (probe) probes++;
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const settle = (failed: boolean | undefined, finish: () => void) => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        if (probe && gen === generation) probes--;
        if (failed !== undefined) record(gen, failed);
        finish();
      };
      if (callTimeoutMs > 0) {
        timer = setTimeout(() => {
          const error = timeoutError(name, callTimeoutMs, options.onTimeout);
          if (error.code === ERROR_CODES.INDETERMINATE) indeterminate++;
          settle(countsAsFailure(error), () => reject(error));
        }, callTimeoutMs);
      }
      let promise: Promise<T>;
      try {
        promise = fn();
      } catch (error) {
        // A function that throws before returning its promise failed all the same.
        promise = Promise.reject(error);
      }
      promise.then(
        (value) => settle(false, () => resolve(value)),
        (error: unknown) => settle(countsAsFailure(error), () => reject(error)),
      );
    });
  }

  function trip(): void {
    if (state() === 'open') return;
    tripped++;
    transition('open');
  }

  return {
    name,
    run,
    trip,
    allows,
    state,
    stats() {
      const s = state();
      if (s === 'closed') window.prune(now());
      const { calls, failures } = window;
      return {
        state: s,
        calls,
        failures,
        failureRate: calls === 0 ? 0 : failures / calls,
        opened,
        rejected,
        retryAfterMs: retryAfterMs(),
        indeterminate,
        tripped,
      };
    },
    isFailure: (error) => countsAsFailure(error) === true,
    onStateChange(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    reset() {
      if (current === 'closed') {
        generation++;
        window.clear();
        return;
      }
      transition('closed');
    },
  };
}
