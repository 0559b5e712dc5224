import { AgentbusError, type AgentbusErrorCode } from '@agentbus/schema';

export interface RequestRejectedOptions {
  /** The failing part of the request (`body.result`, `params`). */
  path?: string;
  /** 429 / 503: when trying again may succeed. */
  retryAfterMs?: number;
  cause?: unknown;
}

/**
 * A request the broker refuses before it reaches the bus (a body too deep, a malformed URL,
 * Redis not connected): an AgentbusError, so callers in process can switch on `code`, that also
 * knows the HTTP status it is answered with.
 */
export class RequestRejectedError extends AgentbusError {
  readonly status: number;
  readonly path: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(code: AgentbusErrorCode, status: number, message: string, options: RequestRejectedOptions = {}) {
    super(code, message, options.cause === undefined ? {} : { cause: options.cause });
    this.name = 'RequestRejectedError';
    this.status = status;
    this.path = options.path;
    this.retryAfterMs = options.retryAfterMs;
  }
}
