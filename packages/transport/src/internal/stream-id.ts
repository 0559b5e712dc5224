import { AgentbusError, ERROR_CODES } from '@agentbus/schema';

/** A Redis stream entry id `<ms>-<seq>`, as numbers so ids compare numerically. */
export interface StreamId {
  readonly ms: number;
  readonly seq: number;
}

/** `0-0`: before every entry (a group created at `0` has delivered nothing). */
export const ZERO_ID: StreamId = { ms: 0, seq: 0 };

const ID_RE = /^(\d+)(?:-(\d+))?$/;

/** Parses `ms-seq` or `ms` (= `ms-0`), like Redis does for an explicit id; throws INVALID_ARGUMENT. */
export function parseStreamId(text: string): StreamId {
  const m = ID_RE.exec(text);
  const ms = m ? Number(m[1]) : NaN;
  const seq = m && m[2] !== undefined ? Number(m[2]) : 0;
  if (!Number.isSafeInteger(ms) || !Number.isSafeInteger(seq)) {
    throw new AgentbusError(
      ERROR_CODES.INVALID_ARGUMENT,
      `invalid stream id ${JSON.stringify(text)}: expected <ms>-<seq>, e.g. 1700000000000-0`,
    );
  }
  return { ms, seq };
}

export function formatStreamId(id: StreamId): string {
  return `${id.ms}-${id.seq}`;
}

/** Negative when `a` is older than `b`, 0 when equal, positive when newer. */
export function compareParsedIds(a: StreamId, b: StreamId): number {
  return a.ms !== b.ms ? a.ms - b.ms : a.seq - b.seq;
}

/**
 * The id XADD `*` generates after `last` at time `nowMs`: the current millisecond with sequence 0,
 * or, when the clock has not moved past the last id (same ms, or went backwards), the last id's
 * millisecond with the next sequence. Ids of a stream therefore always increase.
 */
export function nextStreamId(last: StreamId, nowMs: number): StreamId {
  const ms = Math.max(0, Math.floor(nowMs));
  return ms > last.ms ? { ms, seq: 0 } : { ms: last.ms, seq: last.seq + 1 };
}

/**
 * Orders stream ids as text (`ms-seq`, or `ms` alone = `ms-0`) numerically, as Redis does; string
 * order is wrong once the lengths differ. The one comparison of ids every package uses.
 */
export function compareStreamIds(a: string, b: string): number {
  const i = a.indexOf('-');
  const j = b.indexOf('-');
  const d = Number(i < 0 ? a : a.slice(0, i)) - Number(j < 0 ? b : b.slice(0, j));
  return d !== 0 ? d : Number(i < 0 ? 0 : a.slice(i + 1)) - Number(j < 0 ? 0 : b.slice(j + 1));
}

/** What a lane stream holds, as far as a group's lag is concerned. */
export interface StreamExtent {
  length: number;
  firstId: string | null;
  lastId: string | null;
}

/**
 * A group's lag counting only entries still in the stream. Redis 7 derives lag from the entries
 * ever added minus those the group read, so entries a hard cap removed before the group read
 * them stay in it for good and a lag alert never clears; bounded by what the stream holds, a
 * group that read everything left has lag 0.
 */
export function presentLag(lag: number | null, lastDeliveredId: string, s: StreamExtent): number | null {
  if (s.length === 0 || s.lastId === null || compareStreamIds(lastDeliveredId, s.lastId) >= 0) return 0;
  if (s.firstId !== null && compareStreamIds(lastDeliveredId, s.firstId) < 0) return s.length;
  return lag === null ? null : Math.min(lag, s.length);
}
