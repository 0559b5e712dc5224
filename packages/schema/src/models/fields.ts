import { z } from 'zod';

/**
 * Field rules shared by the swarm models. They are lenient in what Python agents write (naive
 * ISO timestamps, epoch seconds, upper-case enum names, `""` for "none") and always produce one
 * canonical form, so a decoded value encodes to the same wire text every time.
 */

/** An id that can be used as a key part (`task:{id}`): the same rule the key builder enforces. */
export const keyPartSchema = z
  .string()
  .regex(/^[^\s{}]{1,512}$/, 'must be 1-512 characters without whitespace or braces');

const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;
const EPOCH_RE = /^\d+(?:\.\d+)?$/;
// Epoch values below this are seconds (Python's time.time()), above it milliseconds (Date.now()):
// 1e11 seconds is the year 5138, 1e11 milliseconds is 1973, so real timestamps are never ambiguous.
const SECONDS_LIMIT = 1e11;
const MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

function fromEpoch(n: number): string | undefined {
  if (!Number.isFinite(n) || n < 0) return undefined;
  const ms = Math.trunc(n < SECONDS_LIMIT ? n * 1000 : n);
  return ms <= MAX_MS ? new Date(ms).toISOString() : undefined;
}

function fromIso(text: string): string | undefined {
  const m = ISO_RE.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  // Date rolls 2025-02-30 over into March; a timestamp naming a day that does not exist is wrong.
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  if (days === undefined || day < 1 || day > days) return undefined;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  // Python's datetime.utcnow().isoformat() has no zone: it is UTC. Microseconds are cut to ms.
  let offset = 'Z';
  if (zone && zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    offset = `${zone[0]}${digits.slice(0, 2)}:${digits.slice(2, 4) || '00'}`;
  }
  const ms = (frac + '000').slice(0, 3);
  const t = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}${offset}`);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

/** Canonical ISO text of `value`, or undefined when it is no timestamp. */
export function normaliseTimestamp(value: unknown): string | undefined {
  if (typeof value === 'number') return fromEpoch(value);
  if (typeof value !== 'string') return undefined;
  if (EPOCH_RE.test(value)) return fromEpoch(Number(value));
  const iso = fromIso(value);
  // toISOString gives a six-digit signed year before year 0; keep only plain four-digit years.
  return iso !== undefined && /^\d{4}-/.test(iso) ? iso : undefined;
}

/**
 * A point in time. Accepts ISO 8601 text (with or without zone; none means UTC, as Python's
 * `utcnow().isoformat()` writes it) and epoch seconds or milliseconds (number or numeric text);
 * always yields `toISOString()` text (`2025-11-30T12:34:56.123Z`).
 */
export const timestampSchema = z.unknown().transform((value, ctx): string => {
  if (typeof value !== 'string' && typeof value !== 'number') {
    ctx.addIssue({
      code: 'invalid_type',
      expected: 'string',
      input: value,
      message: 'expected an ISO 8601 timestamp or epoch number',
    });
    return z.NEVER;
  }
  const iso = normaliseTimestamp(value);
  if (iso === undefined) {
    ctx.addIssue({
      code: 'invalid_format',
      format: 'datetime',
      input: String(value),
      message: 'must be an ISO 8601 timestamp (years 0000-9999) or a non-negative epoch number',
    });
    return z.NEVER;
  }
  return iso;
});

/** An enum that also reads `PENDING` as `pending`: Python agents may write enum names. */
export function lenientEnum<const V extends readonly [string, ...string[]]>(values: V) {
  return z.preprocess((v) => (typeof v === 'string' ? v.toLowerCase() : v), z.enum(values));
}

/**
 * An optional non-empty string. `""` reads as absent: Python agents write `""` for "none"
 * (an unassigned task), and a hash has no other way to say a field is unset.
 */
export function optionalText(max = 65_536) {
  return z.preprocess((v) => (v === '' || v === null ? undefined : v), z.string().min(1).max(max).optional());
}

/**
 * A citation: any URI with a scheme (`if://citation/abc`, `https://...`, `finding:f1`, `urn:...`).
 * `new URL` is not used because custom schemes like `if:` must pass and free text must not.
 */
export const citationSchema = z
  .string()
  .max(4096)
  .regex(/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/, 'must be a URI with a scheme, e.g. if://citation/abc or https://...');

/** A JSON object with string keys (task data, shared context data). */
export const jsonObjectSchema = z.record(z.string(), z.unknown());
