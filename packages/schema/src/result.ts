import type { AgentbusError } from './errors';

/** What every decoder returns: a value, or a typed error; decoders never throw. */
export type Result<T, E extends AgentbusError = AgentbusError> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: E };

export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

export function err<E extends AgentbusError>(error: E): { readonly ok: false; readonly error: E } {
  return { ok: false, error };
}

/** Returns the value or throws the typed error. */
export function unwrap<T, E extends AgentbusError>(result: Result<T, E>): T {
  if (result.ok) return result.value;
  throw result.error;
}
