import type { z } from 'zod';
import { ERROR_CODES, isAgentbusError, type AgentbusError, type ValidationIssue } from '@agentbus/schema';
import type { ErrorBody } from '../schemas/responses';
import { redactAddresses } from './redact';
import { RequestRejectedError } from './request-rejected';

/** An error that knows its HTTP status; every failure reaches the client as one of these. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly path: string | undefined;
  readonly issues: readonly ValidationIssue[] | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(status: number, code: string, reason: string, extra: { path?: string; issues?: readonly ValidationIssue[]; retryAfterMs?: number; cause?: unknown } = {}) {
    super(reason, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.path = extra.path;
    this.issues = extra.issues;
    this.retryAfterMs = extra.retryAfterMs;
  }

  body(requestId?: string): ErrorBody {
    return {
      error: this.code,
      reason: this.message,
      ...(this.path === undefined ? {} : { path: this.path }),
      ...(this.issues === undefined ? {} : { issues: [...this.issues] }),
      ...(this.retryAfterMs === undefined ? {} : { retryAfterMs: this.retryAfterMs }),
      ...(requestId === undefined ? {} : { requestId }),
    };
  }
}

export function unauthorized(reason: string): HttpError {
  return new HttpError(401, 'UNAUTHORIZED', reason);
}

export function forbidden(reason: string): HttpError {
  return new HttpError(403, 'FORBIDDEN', reason);
}

export function badRequest(reason: string, path?: string): HttpError {
  return new HttpError(400, ERROR_CODES.INVALID_MESSAGE, reason, path === undefined ? {} : { path });
}

/** Zod issues of one request part (`body`, `query`, `params`) as a 400 naming the first failing path. */
export function invalidRequest(where: string, error: z.ZodError): HttpError {
  const issues = flattenIssues(error.issues).map((i) => ({
    path: [where, ...i.path.map(String)].join('.'),
    rule: i.code,
    message: i.message,
  }));
  const first = issues[0]!;
  const more = issues.length > 1 ? ` (+${issues.length - 1} more)` : '';
  return new HttpError(400, ERROR_CODES.INVALID_MESSAGE, `${first.path}: ${first.message}${more}`, { path: first.path, issues });
}

/**
 * A union's issue holds one list per alternative; the alternative with the fewest issues is the
 * one the caller meant (ties: the first), so its issues name the path instead of "invalid union".
 */
function flattenIssues(issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[] = []): Array<{ path: PropertyKey[]; code: string; message: string }> {
  return issues.flatMap((i) => {
    const path = [...prefix, ...i.path];
    if (i.code === 'invalid_union' && i.errors.length > 0) {
      const best = i.errors.reduce((a, b) => (b.length < a.length ? b : a));
      if (best.length > 0) return flattenIssues(best, path);
    }
    return [{ path, code: i.code, message: i.message }];
  });
}

const STATUS_OF_CODE: Readonly<Record<string, number>> = {
  [ERROR_CODES.INVALID_MESSAGE]: 400,
  [ERROR_CODES.INVALID_ARGUMENT]: 400,
  [ERROR_CODES.EXPIRED]: 400,
  [ERROR_CODES.BAD_SIGNATURE]: 403,
  [ERROR_CODES.CUSTODY_BROKEN]: 403,
  [ERROR_CODES.NOT_FOUND]: 404,
  [ERROR_CODES.CONFLICT]: 409,
  [ERROR_CODES.DUPLICATE]: 409,
  [ERROR_CODES.WRONG_TYPE]: 409,
  [ERROR_CODES.PAYLOAD_TOO_LARGE]: 413,
  [ERROR_CODES.RATE_LIMITED]: 429,
  [ERROR_CODES.BACKPRESSURE]: 503,
  [ERROR_CODES.CIRCUIT_OPEN]: 503,
  [ERROR_CODES.CONNECTION_FAILED]: 503,
  [ERROR_CODES.TIMEOUT]: 503,
  // A write whose outcome is unknown (sent, unanswered): retryable like TIMEOUT. Keyed by name so
  // this map does not depend on the schema version that introduced the code.
  INDETERMINATE: 503,
  [ERROR_CODES.CLOSED]: 503,
  [ERROR_CODES.AUTH_FAILED]: 503,
  [ERROR_CODES.TLS_FAILED]: 503,
  [ERROR_CODES.INTERNAL]: 500,
};

/** Fastify's own errors (body parser, body limit) carry a statusCode and an FST_ code. */
interface FrameworkError extends Error {
  statusCode?: number;
  code?: string;
}

/** What the reason of a framework error may name: the limit in force, what the caller sent. */
export interface ErrorHints {
  bodyLimitBytes?: number;
  contentType?: string | undefined;
}

function frameworkError(fe: FrameworkError, hints: ErrorHints): HttpError {
  const status = fe.statusCode!;
  if (status === 413) {
    const limit = hints.bodyLimitBytes === undefined ? '' : ` of ${hints.bodyLimitBytes} bytes`;
    return new HttpError(413, ERROR_CODES.PAYLOAD_TOO_LARGE, `the body is over the broker's limit${limit} (broker option bodyLimitBytes, BROKER_BODY_LIMIT)`, { cause: fe });
  }
  if (status === 415) {
    const sent = hints.contentType ? `Content-Type ${hints.contentType.slice(0, 100)}` : 'no Content-Type';
    return new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `the body must be JSON, sent as Content-Type: application/json (got ${sent})`, { cause: fe });
  }
  const code = status === 400 ? ERROR_CODES.INVALID_MESSAGE : (fe.code ?? 'BAD_REQUEST');
  return new HttpError(status, code, fe.message, status === 400 ? { path: 'body', cause: fe } : { cause: fe });
}

function fromAgentbusError(error: AgentbusError): HttpError {
  if (error instanceof RequestRejectedError) {
    return new HttpError(error.status, error.code, error.message, {
      ...(error.path === undefined ? {} : { path: error.path }),
      ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
      cause: error,
    });
  }
  const e = error as AgentbusError & { issues?: readonly ValidationIssue[]; retryAfterMs?: number; key?: string };
  // A record the swarm cannot read is stored data that is wrong, not a bad request.
  const stored = typeof e.key === 'string';
  const status = stored ? 409 : (STATUS_OF_CODE[e.code] ?? 500);
  const issues = e.issues && e.issues.length > 0 ? e.issues.map((i) => ({ ...i, path: stored ? i.path : `body${i.path ? `.${i.path}` : ''}` })) : undefined;
  // A backend error names where Redis lives; the caller gets what failed, not the address.
  const reason = status >= 500 ? redactAddresses(e.message) : e.message;
  return new HttpError(status, e.code, reason, {
    ...(issues ? { issues, path: issues[0]!.path } : {}),
    // README: every 503 carries Retry-After; a backend error that does not say when gets a second.
    ...(typeof e.retryAfterMs === 'number' ? { retryAfterMs: e.retryAfterMs } : status === 503 ? { retryAfterMs: 1_000 } : {}),
    cause: error,
  });
}

/** Maps anything thrown by a route, a hook or the router to the status and JSON body the client gets. */
export function toHttpError(error: unknown, hints: ErrorHints = {}): HttpError {
  if (error instanceof HttpError) return error;
  if (isAgentbusError(error)) return fromAgentbusError(error);
  const fe = error as FrameworkError;
  if (error instanceof Error && typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) return frameworkError(fe, hints);
  const message = error instanceof Error ? error.message : String(error);
  return new HttpError(500, ERROR_CODES.INTERNAL, `internal error: ${redactAddresses(message)} (the broker log has the details under this requestId)`, { cause: error });
}
