import type { FastifyInstance } from 'fastify';
import { ERROR_CODES } from '@agentbus/schema';
import { RequestRejectedError } from './request-rejected';
import { assertWellFormed } from './well-formed';

/**
 * Whether JSON text nests arrays and objects deeper than `max` (the outermost value is level 1).
 * One pass over the characters with a counter, before JSON.parse: zod, JSON.stringify and the
 * canonical JSON of signatures all recurse, and a deep enough value overflows their stack.
 * Malformed text is left to JSON.parse to refuse.
 */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

export interface JsonBodyOptions {
  /** Deepest nesting of arrays and objects accepted. */
  maxDepth: number;
}

/**
 * The only body the broker reads: `application/json`, checked for depth before it is parsed,
 * parsed with Fastify's prototype-poisoning guard, and checked for well-formed UTF-16 after.
 * Every other content type (text/plain included, which Fastify would otherwise read as a string)
 * gets 415.
 */
export function registerJsonBody(app: FastifyInstance, options: JsonBodyOptions): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (jsonDepthExceeds(text, options.maxDepth)) {
      done(
        new RequestRejectedError(
          ERROR_CODES.INVALID_MESSAGE,
          400,
          `body: JSON nested deeper than ${options.maxDepth} levels, the broker's limit (broker option maxJsonDepth, BROKER_MAX_JSON_DEPTH): flatten the value`,
          { path: 'body' },
        ),
        undefined,
      );
      return;
    }
    parseJson(request, text, (error, value) => {
      if (error) return done(error, undefined);
      try {
        assertWellFormed(value, 'body');
      } catch (refused) {
        return done(refused as Error, undefined);
      }
      done(null, value);
    });
  });
}
