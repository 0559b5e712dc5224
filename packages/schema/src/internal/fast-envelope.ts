import { PRIORITIES } from '../keys';
import { UUID_V7_RE } from '../uuid';
import { HASH_RE, NAME_RE, SPEECH_ACTS, TRACEPARENT_RE } from './envelope-rules';

/**
 * A hand-written check that accepts only what `envelopeSchema` accepts, run before zod on the
 * hot path: a valid envelope costs a few property reads instead of a zod parse. Anything it does
 * not accept goes through zod, which then produces the field-and-rule error. A property test
 * keeps the two in agreement.
 */
const ACTS = new Set<unknown>(SPEECH_ACTS);
const PRIORITY_SET = new Set<unknown>(PRIORITIES);
const KEYS = new Set([
  'id', 'type', 'from', 'to', 'act', 'payload', 'ts', 'priority', 'ttlMs', 'correlationId',
  'causationId', 'traceparent', 'custody', 'sig', 'v',
]);
const HOP_KEYS = new Set(['agent', 'action', 'at', 'prev']);

function str(v: unknown, min: number, max: number): boolean {
  return typeof v === 'string' && v.length >= min && v.length <= max;
}

function optStr(v: unknown, min: number, max: number): boolean {
  return v === undefined || str(v, min, max);
}

function natural(v: unknown): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function hop(h: unknown): boolean {
  if (typeof h !== 'object' || h === null || Array.isArray(h)) return false;
  const o = h as Record<string, unknown>;
  for (const k in o) if (!HOP_KEYS.has(k)) return false;
  return str(o.agent, 1, 256) && str(o.action, 1, 256) && natural(o.at) && typeof o.prev === 'string' && HASH_RE.test(o.prev);
}

export function isPlainValidEnvelope(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const o = value as Record<string, unknown>;
  for (const k in o) if (!KEYS.has(k)) return false;
  if (o.v !== 1) return false;
  if (typeof o.id !== 'string' || !UUID_V7_RE.test(o.id)) return false;
  if (typeof o.type !== 'string' || !NAME_RE.test(o.type)) return false;
  if (!str(o.from, 1, 256) || !str(o.to, 1, 256)) return false;
  if (!ACTS.has(o.act) || !PRIORITY_SET.has(o.priority) || !natural(o.ts)) return false;
  if (o.ttlMs !== undefined && !(natural(o.ttlMs) && (o.ttlMs as number) > 0)) return false;
  if (!optStr(o.correlationId, 1, 256) || !optStr(o.causationId, 1, 256) || !optStr(o.sig, 1, 512)) return false;
  if (o.traceparent !== undefined && !(typeof o.traceparent === 'string' && TRACEPARENT_RE.test(o.traceparent))) return false;
  if (o.custody !== undefined) {
    if (!Array.isArray(o.custody) || o.custody.length > 256) return false;
    for (const h of o.custody) if (!hop(h)) return false;
  }
  return true;
}
