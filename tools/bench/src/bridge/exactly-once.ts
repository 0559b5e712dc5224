import type { Redis } from 'ioredis';

/** How a set of committed ids compares with the ids found in the streams. */
export interface IdComparison {
  /** Distinct committed ids. */
  committed: number;
  /** Stream entries looked at (one id each). */
  stream_entries: number;
  /** Committed, not in any stream. */
  missing: number;
  /** Stream entries beyond the first of their id. */
  duplicates: number;
  /** In a stream, never committed. */
  unexpected: number;
  /** Up to 5 ids of each kind, to look them up. */
  samples: { missing: string[]; duplicates: string[]; unexpected: string[] };
  exactly_once: boolean;
}

/**
 * Compares ids one by one, not counts: a count matches when a duplicate makes up for a missing
 * event, and says nothing of which. Every committed id must be in the streams once, and nothing
 * else may be.
 */
export function compareIds(committed: Iterable<string>, streamed: Iterable<string>, sampleSize = 5): IdComparison {
  const expected = new Set(committed);
  const seen = new Set<string>();
  const samples = { missing: [] as string[], duplicates: [] as string[], unexpected: [] as string[] };
  let entries = 0;
  let duplicates = 0;
  let unexpected = 0;
  for (const id of streamed) {
    entries++;
    if (seen.has(id)) {
      duplicates++;
      if (samples.duplicates.length < sampleSize) samples.duplicates.push(id);
      continue;
    }
    seen.add(id);
    if (!expected.has(id)) {
      unexpected++;
      if (samples.unexpected.length < sampleSize) samples.unexpected.push(id);
    }
  }
  let missing = 0;
  for (const id of expected) {
    if (seen.has(id)) continue;
    missing++;
    if (samples.missing.length < sampleSize) samples.missing.push(id);
  }
  return {
    committed: expected.size,
    stream_entries: entries,
    missing,
    duplicates,
    unexpected,
    samples,
    exactly_once: missing === 0 && duplicates === 0 && unexpected === 0,
  };
}

/** What the streams hold, per entry: the envelope id and the business row id its L1 event names. */
export interface StreamIds {
  eventIds: string[];
  baseLogIds: string[];
  /** Entries whose `env` field is not an L1 envelope (counted, not compared). */
  unreadable: number;
}

/** The envelope id and `payload.base_log_id` of one stream entry's `env` JSON; null when not an L1 event. */
export function idsOfEnvelope(raw: string): { eventId: string; baseLogId: string } | null {
  try {
    const env = JSON.parse(raw) as { id?: unknown; payload?: { base_log_id?: unknown } };
    const baseLogId = env.payload?.base_log_id;
    if (typeof env.id !== 'string' || (typeof baseLogId !== 'string' && typeof baseLogId !== 'number')) return null;
    return { eventId: env.id, baseLogId: String(baseLogId) };
  } catch {
    return null;
  }
}

/**
 * Reads every entry of every stream whose key matches `match` (SCAN, then XRANGE in pages): the
 * bench's own redis-server holds only what the relay wrote.
 */
export async function readStreamIds(redis: Redis, match: string, page = 5000): Promise<StreamIds> {
  const out: StreamIds = { eventIds: [], baseLogIds: [], unreadable: 0 };
  const keys = new Set<string>();
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000, 'TYPE', 'stream');
    cursor = next;
    for (const k of found) keys.add(k);
  } while (cursor !== '0');
  for (const key of [...keys].sort()) {
    let start = '-';
    for (;;) {
      const entries = await redis.xrange(key, start, '+', 'COUNT', page);
      for (const [, fields] of entries) {
        const i = fields.indexOf('env');
        const ids = i >= 0 && i % 2 === 0 ? idsOfEnvelope(fields[i + 1] ?? '') : null;
        if (!ids) {
          out.unreadable++;
          continue;
        }
        out.eventIds.push(ids.eventId);
        out.baseLogIds.push(ids.baseLogId);
      }
      if (entries.length < page) break;
      start = `(${entries[entries.length - 1]![0]}`;
    }
  }
  return out;
}
