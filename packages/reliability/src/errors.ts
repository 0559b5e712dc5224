import { AgentbusError, ERROR_CODES } from '@agentbus/schema';

/** The circuit breaker is open: calls fail fast until it half-opens after `retryAfterMs`. */
export class CircuitOpenError extends AgentbusError {
  readonly retryAfterMs: number;

  constructor(name: string, retryAfterMs: number) {
    super(
      ERROR_CODES.CIRCUIT_OPEN,
      `circuit ${name} is open after too many failures: failing fast for ${retryAfterMs} ms more (tune failureRateThreshold / openMs, or configure a spool)`,
    );
    this.name = 'CircuitOpenError';
    this.retryAfterMs = retryAfterMs;
  }
}

/** A rate limit refused the operation; it may run after `retryAfterMs`. */
export class RateLimitedError extends AgentbusError {
  readonly retryAfterMs: number;

  constructor(key: string, retryAfterMs: number) {
    super(ERROR_CODES.RATE_LIMITED, `rate limit ${key} exceeded: retry after ${retryAfterMs} ms (raise capacity or refillPerSecond)`);
    this.name = 'RateLimitedError';
    this.retryAfterMs = retryAfterMs;
  }
}
