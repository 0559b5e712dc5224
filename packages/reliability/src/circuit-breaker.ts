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
   * A call still running after this many ms rejects with a TIMEOUT error and counts as a failure
   * (ms; 0 = no limit). Default 2000. The call itself is not cancelled: its late outcome is
   * ignored, so a timed-out write may still land.
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
}

export type CircuitStateListener = (to: CircuitState, from: CircuitState) => void;

export interface CircuitBreaker {
  readonly name: string;
  /**
   * Runs `fn` unless the circuit is open (then rejects at once with CircuitOpenError), records
   * its outcome, and rejects with a TIMEOUT AgentbusError if it takes longer than `callTimeoutMs`.
   * Whether the call is let through is decided synchronously, when `run` is called.
   */
  run<T>(fn: () => Promise<T>): Promise<T>;
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
 * DUPLICATE) or that the caller closed it (CLOSED) — Redis answered, so it is up; opening the circuit would punish every other caller.
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
  const window: Slot[] = [];
  let head = 0;
  let calls = 0;
  let failures = 0;
  const listeners = new Set<CircuitStateListener>();

  function prune(t: number): void {
    const oldest = t - windowMs;
    while (head < window.length && window[head]!.at <= oldest) {
      const s = window[head]!;
      calls -= s.calls;
      failures -= s.failures;
      head++;
    }
    // Compact now and then instead of shifting on every expiry (O(1) amortised).
    if (head > 1024 && head * 2 > window.length) {
      window.splice(0, head);
      head = 0;
    }
  }

  function clearWindow(): void {
    window.length = 0;
    head = 0;
    calls = 0;
    failures = 0;
  }

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
    if (to === 'closed') clearWindow();
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
    const t = now();
    prune(t);
    const last = window[window.length - 1];
    if (last && head < window.length && last.at === t) {
      last.calls++;
      if (failed) last.failures++;
    } else {
      window.push({ at: t, calls: 1, failures: failed ? 1 : 0 });
    }
    calls++;
    if (failed) failures++;
    if (calls >= minimumCalls && failures / calls >= failureRateThreshold) transition('open');
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

  function run<T>(fn: () => Promise<T>): Promise<T> {
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
          const error = new AgentbusError(
            ERROR_CODES.TIMEOUT,
            `call through circuit ${name} did not settle within ${callTimeoutMs} ms (callTimeoutMs); it counts as a failure, and may still complete`,
          );
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

  return {
    name,
    run,
    allows,
    state,
    stats() {
      const s = state();
      if (s === 'closed') prune(now());
      return {
        state: s,
        calls,
        failures,
        failureRate: calls === 0 ? 0 : failures / calls,
        opened,
        rejected,
        retryAfterMs: retryAfterMs(),
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
        clearWindow();
        return;
      }
      transition('closed');
    },
  };
}
