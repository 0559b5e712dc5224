// Public API of @agentbus/reliability. Explicit named exports only.
export { createReliability, DEFAULT_RELIABILITY_OPTIONS } from './reliability';
export type { Reliability, ReliabilityOptions, ReliabilityHooks, DeadLetters } from './reliability';
export { DEFAULT_RETRY_POLICY, PermanentError, isPermanent, resolveRetryPolicy, retryDelayMs } from './retry-policy';
export type { RetryPolicy, ResolvedRetryPolicy } from './retry-policy';
export { DEAD_LETTER_REASONS } from './dead-letter';
export type {
  DeadLetter,
  DeadLetterReason,
  AttemptRecord,
  ReplaySelection,
  ReplayOptions,
  ReplayResult,
} from './dead-letter';
export { CircuitOpenError, RateLimitedError } from './errors';
