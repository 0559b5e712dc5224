import type { Headers } from '../types';

/** Parses the `hdr` field; one that is not a JSON object counts as no headers. */
export function parseHeaders(text: string | null | undefined): Headers | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Headers) : undefined;
  } catch {
    return undefined;
  }
}

/** The `attempt` header, else 1. */
export function attemptOf(headers: Headers | undefined): number {
  const a = headers?.attempt;
  return typeof a === 'number' && Number.isInteger(a) && a >= 1 ? a : 1;
}
