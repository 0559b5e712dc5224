import type { LaneReadRequest, LaneReadResult, RawEntry, ReadResult } from '../internal/stream-backend';
import { deliverNew, touchConsumer, type ConsumerGroup, type MemoryStream, type PendingEntry, type StreamEntry } from './memory-stream';
import { compareParsedIds, type StreamId } from '../internal/stream-id';

/** One stream of a lane read, its group resolved (a missing group has failed the read already). */
export interface LaneTarget {
  name: string;
  stream: MemoryStream;
  group: ConsumerGroup;
}

/** A stream entry as the backend interface hands it on. */
export function toRaw(entry: StreamEntry): RawEntry {
  return entry.headers === null ? { id: entry.key, raw: entry.raw } : { id: entry.key, raw: entry.raw, headers: entry.headers };
}

/**
 * read-lanes.lua in memory: each stream its share of the budget by weight, then what the quiet
 * streams left to the busy ones; nothing new gives each stream's newest id.
 */
export function readWithinBudget(targets: readonly LaneTarget[], req: LaneReadRequest, nowMs: number): LaneReadResult {
  const total = req.weights.reduce((a, b) => a + b, 0);
  const taken: StreamEntry[][] = targets.map(() => []);
  const full: boolean[] = targets.map(() => false);
  let got = 0;
  const read = (i: number, count: number): number => {
    const { stream, group } = targets[i]!;
    const consumer = touchConsumer(group, req.consumer, nowMs);
    const entries = stream.after(group.lastDeliveredId, count);
    for (const entry of entries) deliverNew(group, consumer, entry, nowMs);
    taken[i]!.push(...entries);
    return entries.length;
  };
  for (let i = 0; i < targets.length; i++) {
    const share = Math.min(Math.max(1, Math.floor((req.budget * req.weights[i]!) / total)), req.budget - got);
    if (share <= 0) continue;
    const k = read(i, share);
    got += k;
    full[i] = k === share;
  }
  for (let i = 0; i < targets.length && got < req.budget; i++) {
    if (full[i]) got += read(i, req.budget - got);
  }
  if (got === 0) return { kind: 'empty', lastIds: targets.map((t) => t.stream.last()?.key ?? '0-0') };
  const results: ReadResult[] = [];
  targets.forEach((t, i) => {
    if (taken[i]!.length > 0) results.push({ stream: t.name, entries: taken[i]!.map(toRaw) });
  });
  return { kind: 'entries', results };
}

/** The group's pending records at or after `cursor`, in id order (XAUTOCLAIM's scan order). */
export function pendingFrom(group: ConsumerGroup, cursor: StreamId): PendingEntry[] {
  return [...group.pel.values()]
    .filter((r) => compareParsedIds(r.id, cursor) >= 0)
    .sort((a, b) => compareParsedIds(a.id, b.id));
}
