import { AgentbusError, ERROR_CODES } from '@agentbus/schema';

export interface RetryPolicy {
  /** Delay before each retry, ms: the n-th retry waits `delaysMs[n-1]` (the last repeats). Default 5 s, 15 s, 60 s. */
  delaysMs?: readonly number[];
  /** Attempts in all, the first included; then the dead-letter stream. Default delaysMs.length + 1 (4). */
  maxAttempts?: number;
  /** Each delay varies by up to this fraction either way, so retries of a burst spread out. Default 0.1. */
  jitter?: number;
}

export const DEFAULT_RETRY_POLICY = {
  delaysMs: [5_000, 15_000, 60_000],
  jitter: 0.1,
} as const satisfies RetryPolicy;

export interface ResolvedRetryPolicy {
  delaysMs: readonly number[];
  maxAttempts: number;
  jitter: number;
}

export function resolveRetryPolicy(policy: RetryPolicy = {}): ResolvedRetryPolicy {
  const delaysMs = policy.delaysMs ?? DEFAULT_RETRY_POLICY.delaysMs;
  const maxAttempts = policy.maxAttempts ?? delaysMs.length + 1;
  const jitter = policy.jitter ?? DEFAULT_RETRY_POLICY.jitter;
  if (delaysMs.length === 0 && maxAttempts > 1) {
    throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, 'retry policy: delaysMs is empty but maxAttempts > 1; give at least one delay');
  }
  if (delaysMs.some((d) => !Number.isFinite(d) || d < 0)) {
    throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, 'retry policy: every delaysMs entry must be a number >= 0');
  }
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, `retry policy: maxAttempts must be an integer >= 1, got ${maxAttempts}`);
  }
  if (!(jitter >= 0 && jitter < 1)) {
    throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, `retry policy: jitter must be in [0, 1), got ${jitter}`);
  }
  return { delaysMs, maxAttempts, jitter };
}

/** The wait before retry number `retry` (1 = the first retry), with jitter. */
export function retryDelayMs(policy: ResolvedRetryPolicy, retry: number, random: () => number = Math.random): number {
  const base = policy.delaysMs[Math.min(retry, policy.delaysMs.length) - 1] ?? 0;
  return Math.max(0, Math.round(base * (1 + policy.jitter * (2 * random() - 1))));
}

/**
 * Throw this (or any error with `permanent: true`) from a handler for a failure that no retry
 * can fix: the message goes to the dead-letter stream at once, reason `handler-error`.
 */
export class PermanentError extends Error {
  readonly permanent = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

export function isPermanent(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { permanent?: unknown }).permanent === true;
}
