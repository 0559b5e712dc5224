import type { z } from 'zod';
import { ValidationError, type ValidationIssue } from '@agentbus/schema';
import { invalidArgument } from '../errors';

export function issuesOf(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.'), rule: i.code, message: i.message }));
}

/**
 * Validates a body (what an HTTP request would carry) against its schema; throws a
 * ValidationError (code INVALID_MESSAGE) whose issues name the failing path.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  throw new ValidationError(what, issuesOf(r.error));
}

/** Validates one argument (an agent id, a threshold); throws INVALID_ARGUMENT naming it. */
export function parseArgument<S extends z.ZodType>(schema: S, value: unknown, name: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const first = r.error.issues[0];
  const where = first && first.path.length > 0 ? ` (${first.path.map(String).join('.')})` : '';
  throw invalidArgument(`invalid ${name} ${JSON.stringify(value)}${where}: ${first?.message ?? 'invalid'}`);
}
