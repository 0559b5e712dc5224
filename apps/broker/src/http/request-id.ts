import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const CALLER_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The request id of a log line and of the `x-request-id` answer header: the caller's own
 * `x-request-id` when it is a sane token (so one id follows a call through proxies), else a UUID.
 */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && CALLER_ID.test(given) ? given : randomUUID();
}
