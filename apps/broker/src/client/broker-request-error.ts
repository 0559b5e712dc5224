/** A broker call that failed: the HTTP status (0 when the broker was not reached) and the broker's reason. */
export class BrokerRequestError extends Error {
  /** HTTP status; 0 when no answer came (connection refused, timeout). */
  readonly status: number;
  /** The broker's error code (UNAUTHORIZED, FORBIDDEN, CONFLICT, RATE_LIMITED, ...), or CONNECTION_FAILED / TIMEOUT / INVALID_RESPONSE. */
  readonly code: string;
  /** The failing field of a 400. */
  readonly path: string | undefined;
  /** 429 / 503: when trying again may succeed. */
  readonly retryAfterMs: number | undefined;
  readonly requestId: string | undefined;

  constructor(status: number, code: string, message: string, extra: { path?: string; retryAfterMs?: number; requestId?: string; cause?: unknown } = {}) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'BrokerRequestError';
    this.status = status;
    this.code = code;
    this.path = extra.path;
    this.retryAfterMs = extra.retryAfterMs;
    this.requestId = extra.requestId;
  }

  /** Whether the same call may succeed later (429, 503, no answer). */
  get retryable(): boolean {
    return this.status === 0 || this.status === 429 || this.status === 503;
  }
}
