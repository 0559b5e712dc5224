import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import { ERROR_CODES } from '@agentbus/schema';
import { RequestRejectedError } from './request-rejected';

/** The longest name or id a path parameter carries (record ids, channels; topics: 200). */
export const MAX_NAME_CHARS = 512;

/**
 * The router's cap on one path parameter, in characters as they arrive: percent-encoded, a BMP
 * character takes up to 9 (`%E2%82%AC`), so a name at the documented limit always fits, and
 * anything longer is refused before it is decoded.
 */
export const MAX_PARAM_LENGTH = MAX_NAME_CHARS * 9;

/** Fastify's router refusals (bad percent-encoding, an over-long parameter), in the broker's terms. */
export function routerError(error: Error & { code?: string }): RequestRejectedError {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return new RequestRejectedError(
      ERROR_CODES.INVALID_MESSAGE,
      414,
      `a path parameter is longer than ${MAX_PARAM_LENGTH} characters (percent-encoded): names and ids are at most ${MAX_NAME_CHARS} characters, topics 200`,
      { path: 'params' },
    );
  }
  if (error.code === 'FST_ERR_BAD_URL') {
    return new RequestRejectedError(
      ERROR_CODES.INVALID_MESSAGE,
      400,
      'the URL is not valid percent-encoding of UTF-8: encode each path parameter with encodeURIComponent',
      { path: 'params' },
    );
  }
  return new RequestRejectedError(ERROR_CODES.INTERNAL, 500, `the router failed (${error.code ?? error.name})`, { cause: error });
}

/**
 * Answers what Node's HTTP parser refuses before Fastify sees a request (a malformed request line,
 * headers over the size limit, a request that timed out) in the error contract too, then closes.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const requestId = randomUUID();
    const reason =
      status === 431
        ? 'the request headers are over Node\'s limit (--max-http-header-size): send fewer or shorter headers'
        : status === 408
          ? 'the request did not arrive in time'
          : 'the request is not valid HTTP/1.1';
    const body = JSON.stringify({ error: ERROR_CODES.INVALID_MESSAGE, reason, requestId });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nx-request-id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
