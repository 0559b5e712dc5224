// Public API of @agentbus/reliability. Explicit named exports only.
export { createReliability, DEFAULT_RELIABILITY_OPTIONS } from './reliability';
export type { Reliability, ReliabilityOptions, ReliabilityHooks } from './reliability';
export { DEFAULT_REPLAY_PAGE_SIZE } from './dead-letters';
export type { DeadLetters } from './dead-letters';
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
export { createRateLimiter, DEFAULT_RATE_LIMITER_OPTIONS } from './rate-limiter';
export type { RateLimiter, RateLimiterOptions, TokenBucketOptions, RateLimitDecision } from './rate-limiter';
export { createIdempotencyGuard, DEFAULT_IDEMPOTENCY_OPTIONS, IdempotencyConflictError } from './idempotency';
export type { IdempotencyGuard, IdempotencyOptions, OnceOptions, OnceResult } from './idempotency';
export { createCircuitBreaker, isDependencyFailure, DEFAULT_CIRCUIT_BREAKER_OPTIONS, DEFAULT_RUN_OPTIONS } from './circuit-breaker';
export type {
  CircuitBreaker,
  CircuitBreakerOptions,
  CircuitBreakerStats,
  CircuitState,
  CircuitStateListener,
  RunOptions,
} from './circuit-breaker';
export { withCircuitBreaker, SpoolFullError, DEFAULT_PUBLISH_SPOOL_OPTIONS, DEFAULT_BREAKER_TRANSPORT_OPTIONS } from './breaker-transport';
export type { BreakerTransport, BreakerTransportOptions, PublishSpoolOptions } from './breaker-transport';
