/**
 * Every error agentbus raises is an AgentbusError with a string `code` from this map, so callers
 * branch on `err.code` rather than on message text or class identity across package copies.
 */
export const ERROR_CODES = {
  /** Input failed a schema: `issues` name the field and the rule. */
  INVALID_MESSAGE: 'INVALID_MESSAGE',
  /** Encoded payload is over `maxBytes`. */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** Ed25519 signature missing, malformed or not matching. */
  BAD_SIGNATURE: 'BAD_SIGNATURE',
  /** A hop of the chain of custody was edited, removed or reordered. */
  CUSTODY_BROKEN: 'CUSTODY_BROKEN',
  /** Envelope past its `ttlMs`. */
  EXPIRED: 'EXPIRED',
  /** An option or argument of an API call is invalid. */
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  /** Redis refused the connection or it dropped. */
  CONNECTION_FAILED: 'CONNECTION_FAILED',
  /** Redis rejected the credentials. */
  AUTH_FAILED: 'AUTH_FAILED',
  /** TLS handshake failed (e.g. rediss:// against a plain port). */
  TLS_FAILED: 'TLS_FAILED',
  /** A key holds a value of another type than the operation needs. */
  WRONG_TYPE: 'WRONG_TYPE',
  /** A command did not answer within its timeout. */
  TIMEOUT: 'TIMEOUT',
  /**
   * The write may or may not have happened: it was sent, and no answer came before a timeout (or
   * the connection dropped under it), so it may still land. Safe to retry because publishes
   * dedupe by envelope id (`dedupeWindowMs`, on by default): a retry with the same envelope writes
   * at most once. Never read it as "not written".
   */
  INDETERMINATE: 'INDETERMINATE',
  /** A topic is over its memory budget; retry after `retryAfterMs`. */
  BACKPRESSURE: 'BACKPRESSURE',
  /** The same envelope id was published inside the dedupe window. */
  DUPLICATE: 'DUPLICATE',
  /** The component was closed. */
  CLOSED: 'CLOSED',
  /** The circuit breaker is open. */
  CIRCUIT_OPEN: 'CIRCUIT_OPEN',
  /** A rate limit refused the operation; retry after `retryAfterMs`. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** Not found (task, topic, dead letter, ...). */
  NOT_FOUND: 'NOT_FOUND',
  /** A state transition was refused (task already claimed, ...). */
  CONFLICT: 'CONFLICT',
  /**
   * A consumer lost the lease on a delivery (another consumer took it over, or the consumer is
   * closing): its handler's `ctx.signal` aborts with this, and its ack does not count.
   */
  LEASE_LOST: 'LEASE_LOST',
  /** Redis or a script answered something unexpected. */
  INTERNAL: 'INTERNAL',
} as const;

export type AgentbusErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** Codes where trying the same call again later may succeed. */
export const RETRYABLE_ERROR_CODES: ReadonlySet<AgentbusErrorCode> = new Set<AgentbusErrorCode>([
  ERROR_CODES.CONNECTION_FAILED,
  ERROR_CODES.TIMEOUT,
  ERROR_CODES.INDETERMINATE,
  ERROR_CODES.BACKPRESSURE,
  ERROR_CODES.CIRCUIT_OPEN,
  ERROR_CODES.RATE_LIMITED,
]);

export interface AgentbusErrorOptions {
  cause?: unknown;
}

export class AgentbusError extends Error {
  readonly code: AgentbusErrorCode;

  constructor(code: AgentbusErrorCode, message: string, options: AgentbusErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AgentbusError';
    this.code = code;
  }

  /** Whether the same call may succeed if tried again later. */
  get retryable(): boolean {
    return RETRYABLE_ERROR_CODES.has(this.code);
  }
}

/** One failed rule: `path` is the dotted field path (`payload.confidence`), `rule` the zod issue code. */
export interface ValidationIssue {
  path: string;
  rule: string;
  message: string;
}

export class ValidationError extends AgentbusError {
  readonly issues: readonly ValidationIssue[];

  constructor(what: string, issues: readonly ValidationIssue[], options: AgentbusErrorOptions = {}) {
    const first = issues[0];
    const detail = first ? `${first.path || '(root)'}: ${first.message} [${first.rule}]` : 'invalid';
    const more = issues.length > 1 ? ` (+${issues.length - 1} more)` : '';
    super(ERROR_CODES.INVALID_MESSAGE, `invalid ${what}: ${detail}${more}`, options);
    this.name = 'ValidationError';
    this.issues = issues;
  }
}

export class PayloadTooLargeError extends AgentbusError {
  readonly bytes: number;
  readonly maxBytes: number;

  constructor(what: string, bytes: number, maxBytes: number) {
    super(
      ERROR_CODES.PAYLOAD_TOO_LARGE,
      `${what} is ${bytes} bytes, over the limit of ${maxBytes}; raise the maxBytes option if this is intended`,
    );
    this.name = 'PayloadTooLargeError';
    this.bytes = bytes;
    this.maxBytes = maxBytes;
  }
}

export class SignatureError extends AgentbusError {
  constructor(message: string, options: AgentbusErrorOptions = {}) {
    super(ERROR_CODES.BAD_SIGNATURE, message, options);
    this.name = 'SignatureError';
  }
}

export class CustodyError extends AgentbusError {
  /** Index of the first hop that does not verify. */
  readonly hop: number;

  constructor(hop: number, message: string) {
    super(ERROR_CODES.CUSTODY_BROKEN, message);
    this.name = 'CustodyError';
    this.hop = hop;
  }
}

/** True for any AgentbusError, also one raised by another copy of this package. */
export function isAgentbusError(err: unknown): err is AgentbusError {
  if (err instanceof AgentbusError) return true;
  const code = err instanceof Error ? (err as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' && (Object.values(ERROR_CODES) as string[]).includes(code);
}
