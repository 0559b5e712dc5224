import type { RetentionPolicy, TrimResult } from '../types';
import { invalidArgument } from './memory-errors';
import { incrementBy, type StoreState } from './memory-store';
import { isUnacked, type MemoryStream } from './memory-stream';
import { compareParsedIds, type StreamId } from '../internal/stream-id';

/**
 * Retention in memory with the decisions of trim.lua (see its header): the same bound, the same
 * bounds on what maxLen may remove, the same checkpoints. Memory could count exactly; it does not,
 * so it never trims more than Redis would. It removes in one go what Redis removes over bounded
 * calls (and exactly, where Redis' `~` may leave part of a node).
 */

/** As trim.lua: the newest 32 checkpoints, at least 1 s apart. */
const CHECKPOINT_MAX = 32;
const CHECKPOINT_SPACING_MS = 1000;

/** Per stream, oldest first: ids that were the last generated id when a trim ran. */
const checkpoints = new WeakMap<MemoryStream, StreamId[]>();

/** How trim.lua applied maxLen; see `MaxLenRule` in redis-trim.ts. */
export type MemoryMaxLenRule = 'none' | 'maxlen' | 'minid-bound' | 'minid-checkpoint' | 'undecided';

/** The oldest unacked entry and what is known about c = count(entries >= bound). */
interface Bounds {
  bound: StreamId | null;
  lo: number;
  hi: number;
  /** The newest checkpoint at or before the bound (not before the first entry), if any. */
  checkpoint: StreamId | null;
}

function nonNegative(name: keyof RetentionPolicy, value: number | undefined): number {
  if (value === undefined) return 0;
  if (!Number.isFinite(value) || value < 0) {
    throw invalidArgument(`invalid retention.${name} ${value}: use a number >= 0 (0 = none)`);
  }
  return Math.floor(value);
}

function min(a: StreamId | null, b: StreamId | null): StreamId | null {
  if (a === null) return b;
  if (b === null) return a;
  return compareParsedIds(a, b) <= 0 ? a : b;
}

function boundsOf(stream: MemoryStream, first: StreamId): Bounds {
  const len = stream.length;
  const groups = [...stream.groups.values()].map((g) => ({
    lag: stream.countAfter(g.lastDeliveredId),
    pending: g.pel.size,
    next: stream.after(g.lastDeliveredId, 1)[0]?.id ?? null,
    oldest: g.pel.values().next().value?.id ?? null,
  }));
  const bound = groups.reduce<StreamId | null>((acc, g) => min(acc, min(g.oldest, g.next)), null);
  if (bound === null) return { bound, lo: 0, hi: 0, checkpoint: null };
  if (compareParsedIds(bound, first) <= 0) return { bound, lo: len, hi: len, checkpoint: null };
  // The bound is some group's first undelivered entry: that group's lag is c.
  const behind = groups.find((g) => g.next !== null && compareParsedIds(g.next, bound) === 0);
  if (behind) return { bound, lo: behind.lag, hi: behind.lag, checkpoint: null };
  const lo = Math.max(0, ...groups.map((g) => Math.min(len, g.pending + g.lag)));
  const checkpoint = newestCheckpoint(stream, first, bound);
  const hi = checkpoint ? len - stream.indexAtOrAfter(checkpoint) : len;
  return { bound, lo, hi, checkpoint };
}

function newestCheckpoint(stream: MemoryStream, first: StreamId, atOrBefore: StreamId): StreamId | null {
  const list = checkpoints.get(stream) ?? [];
  for (let i = list.length - 1; i >= 0; i--) {
    const cp = list[i]!;
    if (compareParsedIds(cp, atOrBefore) <= 0) return compareParsedIds(cp, first) >= 0 ? cp : null;
  }
  return null;
}

/** How many of the oldest entries maxLen removes, and by which rule (trim.lua's decision). */
function maxLenCut(stream: MemoryStream, maxLen: number, b: Bounds): { rule: MemoryMaxLenRule; cut: number } {
  const len = stream.length;
  if (maxLen <= 0 || len <= maxLen) return { rule: 'none', cut: 0 };
  if (b.hi <= maxLen) return { rule: 'maxlen', cut: len - maxLen };
  if (b.lo >= maxLen) return { rule: 'minid-bound', cut: stream.indexAtOrAfter(b.bound!) };
  if (b.checkpoint) return { rule: 'minid-checkpoint', cut: stream.indexAtOrAfter(b.checkpoint) };
  return { rule: 'undecided', cut: 0 };
}

function recordCheckpoint(stream: MemoryStream, first: StreamId): void {
  const list = (checkpoints.get(stream) ?? []).filter((cp) => cp.ms >= first.ms);
  const newest = list[list.length - 1];
  if (!newest || newest.ms + CHECKPOINT_SPACING_MS <= stream.lastId.ms) list.push(stream.lastId);
  checkpoints.set(stream, list.slice(-CHECKPOINT_MAX));
}

/** The hard cap: drops the oldest entries past `hardMaxLen` and counts the unacked ones. */
function cap(stream: MemoryStream, hardMaxLen: number): number {
  if (hardMaxLen <= 0 || stream.length <= hardMaxLen) return 0;
  const doomed = stream.length - hardMaxLen;
  let unacked = 0;
  for (let i = 0; i < doomed; i++) if (isUnacked(stream, stream.at(i)!)) unacked++;
  stream.removeOldest(doomed);
  return unacked;
}

/** Applies `policy` to the stream `name`; `t` is the store's clock (for the counter's expiry). */
export function trimMemoryStream(
  state: StoreState,
  name: string,
  policy: RetentionPolicy,
  nowMs: number,
  droppedKey: string,
  t: number,
): TrimResult & { maxLenRule: MemoryMaxLenRule } {
  const maxAgeMs = nonNegative('maxAgeMs', policy.maxAgeMs);
  const maxLen = nonNegative('maxLen', policy.maxLen);
  const hardMaxLen = nonNegative('hardMaxLen', policy.hardMaxLen);
  const stream = state.streams.get(name);
  const first = stream?.first()?.id;
  if (!stream || !first) return { trimmed: 0, droppedUnacked: 0, maxLenRule: 'none' };
  const before = stream.length;

  const b = boundsOf(stream, first);
  const { rule, cut } = maxLenCut(stream, maxLen, b);
  let byAge = 0;
  if (maxAgeMs > 0) {
    const point = min({ ms: Math.max(0, Math.floor(nowMs) - maxAgeMs), seq: 0 }, b.bound)!;
    byAge = stream.indexAtOrAfter(point);
  }
  stream.removeOldest(Math.max(cut, byAge));

  const droppedUnacked = cap(stream, hardMaxLen);
  if (droppedUnacked > 0) incrementBy(state, droppedKey, droppedUnacked, t);
  recordCheckpoint(stream, first);
  return { trimmed: before - stream.length, droppedUnacked, maxLenRule: rule };
}
