import type { FastifyReply, FastifyRequest } from 'fastify';
import { toHttpError } from './http-error';

export interface ErrorReplyOptions {
  /** Named in the reason of a 413. */
  bodyLimitBytes: number;
}

/**
 * The one way an error leaves the broker, whatever raised it (a route, a hook, the body parser,
 * the router): the JSON error contract with the request id, `WWW-Authenticate` on a 401 and
 * `Retry-After` when trying again may succeed. Logged by severity; the log keeps the full cause.
 */
export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply, options: ErrorReplyOptions): FastifyReply {
  const e = toHttpError(error, { bodyLimitBytes: options.bodyLimitBytes, contentType: request.headers['content-type'] });
  if (e.status >= 500) request.log.error({ err: error, code: e.code }, e.message);
  else if (e.status === 401 || e.status === 403) request.log.warn({ code: e.code, status: e.status }, e.message);
  else request.log.info({ code: e.code, status: e.status, path: e.path }, e.message);
  reply.header('x-request-id', request.id);
  if (e.status === 401) reply.header('www-authenticate', 'Bearer realm="agentbus"');
  if (e.retryAfterMs !== undefined) reply.header('retry-after', String(Math.max(1, Math.ceil(e.retryAfterMs / 1000))));
  return reply.code(e.status).type('application/json; charset=utf-8').send(e.body(request.id));
}
