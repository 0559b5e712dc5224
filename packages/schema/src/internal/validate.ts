import type { z } from 'zod';
import { PayloadTooLargeError, ValidationError, type ValidationIssue } from '../errors';
import { err, ok, type Result } from '../result';

export function toIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((i) => ({
    path: i.path.map(String).join('.'),
    rule: i.code,
    message: i.message,
  }));
}

/** Validates `input` against `schema`; never throws. `what` names the thing in the error message. */
export function validate<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what: string,
): Result<z.output<S>, ValidationError> {
  const r = schema.safeParse(input);
  return r.success ? ok(r.data) : err(new ValidationError(what, toIssues(r.error)));
}

/** Parses JSON text; a syntax error becomes a ValidationError on the root. */
export function parseJson(text: string, what: string): Result<unknown, ValidationError> {
  try {
    return ok(JSON.parse(text) as unknown);
  } catch (cause) {
    return err(
      new ValidationError(what, [{ path: '', rule: 'invalid_json', message: (cause as Error).message }], { cause }),
    );
  }
}

export function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

export function checkSize(
  text: string,
  maxBytes: number,
  what: string,
): Result<string, PayloadTooLargeError> {
  // Cheap bound first: a UTF-8 string is at most 3 bytes per UTF-16 unit.
  if (text.length * 3 <= maxBytes) return ok(text);
  const bytes = byteLength(text);
  return bytes <= maxBytes ? ok(text) : err(new PayloadTooLargeError(what, bytes, maxBytes));
}
