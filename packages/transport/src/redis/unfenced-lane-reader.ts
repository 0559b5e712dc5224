import type { Redis } from 'ioredis';
import type { LaneReadRequest, LaneReadResult, ReadRequest, ReadResult } from '../internal/stream-backend';
import type { RedisClient } from './connection';
import { entryOf } from './stream-reply';

type StreamReply = Array<[string, Array<[string, string[] | null]>]> | null;

/**
 * Shares a read budget over lanes, never more than the budget in all: each quiet lane (no entries
 * last time) gets one entry, a probe, so a lane that wakes up is served from the next read on; the
 * lanes that had entries share the rest by weight. A budget smaller than the lanes gives one entry
 * to as many lanes as it can, taking them in turn (`turn`) so none starves.
 */
export function splitBudget(budget: number, weights: readonly number[], active: readonly boolean[], turn = 0): number[] {
  const n = weights.length;
  const anyActive = active.some(Boolean);
  const isActive = (i: number) => !anyActive || active[i] === true;
  const probes = weights.filter((_, i) => !isActive(i)).length;
  const busy = n - probes;
  const rest = budget - probes;
  if (rest < busy) {
    const counts: number[] = weights.map(() => 0);
    for (let k = 0; k < Math.min(budget, n); k++) counts[(turn + k) % n] = 1;
    return counts;
  }
  const total = weights.reduce((sum, w, i) => (isActive(i) ? sum + w : sum), 0);
  const counts = weights.map((w, i) => (isActive(i) ? Math.max(1, Math.floor((rest * w) / total)) : 1));
  // Raising a zero share to one may overshoot: take it back from the largest shares.
  let over = counts.reduce((a, b) => a + b, 0) - budget;
  while (over > 0) {
    const i = counts.indexOf(Math.max(...counts));
    counts[i]!--;
    over--;
  }
  return counts;
}

export interface UnfencedLaneReader {
  read(req: LaneReadRequest): Promise<LaneReadResult>;
  /** Drops what it remembers of a reader that stopped. */
  forget(readerKey: string): void;
}

/**
 * Reads an unpartitioned topic's lanes with plain XREADGROUPs, one per lane in one pipelined round
 * trip, each with its share of the budget: no Lua on the hot path (converting a thousand entries
 * through a script costs Redis more than the read itself), and nothing to fence. When every lane
 * is empty it blocks on all of them with COUNT 1 per lane on the reader's own connection, and
 * whatever wakes it is returned at once.
 */
export function createUnfencedLaneReader(
  client: RedisClient,
  fail: (error: unknown) => never,
  blockingRead: (req: ReadRequest) => Promise<ReadResult[]>,
): UnfencedLaneReader {
  const activity = new Map<string, boolean[]>();
  let turn = 0;
  return {
    async read(req) {
      const key = req.wait?.readerKey ?? `${req.group}\u0000${req.consumer}\u0000${req.streams.join('\u0000')}`;
      const before = activity.get(key) ?? req.streams.map(() => true);
      const counts = splitBudget(req.budget, req.weights, before, turn++);
      const pipeline = (client as Redis).pipeline();
      const read: number[] = [];
      counts.forEach((count, i) => {
        if (count === 0) return;
        pipeline.xreadgroup('GROUP', req.group, req.consumer, 'COUNT', count, 'STREAMS', req.streams[i]!, '>');
        read.push(i);
      });
      const replies = (await pipeline.exec().catch(fail)) ?? [];
      const results: ReadResult[] = [];
      // A lane left out this time keeps what it was.
      const active = [...before];
      replies.forEach(([error, reply], k) => {
        if (error) fail(error);
        const i = read[k]!;
        const items = (reply as StreamReply)?.[0]?.[1] ?? [];
        active[i] = items.length > 0;
        if (items.length > 0) results.push({ stream: req.streams[i]!, entries: items.map(entryOf) });
      });
      activity.set(key, active);
      if (results.length > 0) return { kind: 'entries', results };
      // Lanes left out may hold entries: look again before blocking.
      if (read.length < req.streams.length) return { kind: 'empty' };
      if (!req.wait) return { kind: 'empty' };
      const woken = await blockingRead({
        group: req.group,
        consumer: req.consumer,
        streams: req.streams,
        ids: req.streams.map(() => '>'),
        count: 1,
        blockMs: req.wait.blockMs,
        ...(req.wait.signal ? { signal: req.wait.signal } : {}),
        ...(req.wait.readerKey !== undefined ? { readerKey: req.wait.readerKey } : {}),
      });
      return woken.length > 0 ? { kind: 'entries', results: woken } : { kind: 'empty' };
    },
    forget(readerKey) {
      activity.delete(readerKey);
    },
  };
}
