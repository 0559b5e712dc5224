import { PRIORITIES, type KeyBuilder } from '@agentbus/schema';
import type { GroupInfo, LaneStats, TopicStats } from '../types';
import type { StreamBackend } from './stream-backend';
import { compareStreamIds } from './stream-id';

/**
 * A topic's stats over its partitions and lanes: per stream as read, and per group summed
 * (pending, lag, consumers), the main lane of partition 0 giving first and last id.
 */
export async function collectTopicStats(
  backend: StreamBackend,
  keys: KeyBuilder,
  topic: string,
  partitions: number,
  parts: readonly string[],
): Promise<TopicStats> {
  const streams: LaneStats[] = [];
  let dropped = 0;
  await Promise.all(
    parts.map(async (t) => {
      const [lanes, d] = await Promise.all([
        Promise.all(PRIORITIES.map(async (lane) => ({ lane, ...(await backend.info(keys.lane(t, lane))) }))),
        backend.dropped(keys.topic(t, 'dropped')),
      ]);
      streams.push(...lanes);
      dropped += d;
    }),
  );
  streams.sort((a, b2) => (a.stream < b2.stream ? -1 : a.stream > b2.stream ? 1 : 0));
  const groups = new Map<string, GroupInfo>();
  for (const s of streams) {
    for (const g of s.groups) {
      const acc = groups.get(g.name);
      if (!acc) {
        groups.set(g.name, { ...g, consumers: g.consumers.map((c) => ({ ...c })) });
        continue;
      }
      acc.pending += g.pending;
      acc.lag = acc.lag === null || g.lag === null ? null : acc.lag + g.lag;
      if (compareStreamIds(g.lastDeliveredId, acc.lastDeliveredId) > 0) acc.lastDeliveredId = g.lastDeliveredId;
      for (const c of g.consumers) {
        const have = acc.consumers.find((x) => x.name === c.name);
        if (have) {
          have.pending += c.pending;
          have.idleMs = Math.min(have.idleMs, c.idleMs);
        } else acc.consumers.push({ ...c });
      }
    }
  }
  const main = streams.find((s) => s.stream === keys.lane(parts[0]!, 'normal'));
  return {
    topic,
    partitions,
    length: streams.reduce((n, s) => n + s.length, 0),
    firstId: main?.firstId ?? null,
    lastId: main?.lastId ?? null,
    groups: [...groups.values()],
    streams,
    droppedUnacked: dropped,
  };
}
