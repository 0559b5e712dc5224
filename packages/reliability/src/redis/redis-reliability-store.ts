import { PRIORITIES, type KeyBuilder } from '@agentbus/schema';
import { toAgentbusError, type RedisClient } from '@agentbus/transport';
import { deadLetterFields, parseDeadLetter } from '../internal/dead-letter-fields';
import type { ReliabilityStore } from '../internal/reliability-store';
import type { DeadLetter } from '../dead-letter';
import { defineReliabilityScripts } from './scripts';

type Row = [string, string[]];

function record(flat: string[]): Record<string, string> {
  const r: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) r[flat[i]!] = flat[i + 1]!;
  return r;
}

const letters = (rows: Row[]): DeadLetter[] => rows.map(([id, fields]) => parseDeadLetter(id, record(fields)));

/** Retries and dead letters on Redis: each settle is one Lua script on the partition's slot. */
export function createRedisReliabilityStore(client: RedisClient, keys: KeyBuilder, deadLetterMaxLen: number): ReliabilityStore {
  defineReliabilityScripts(client);
  const call = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      throw toAgentbusError(error);
    }
  };
  const lanes = (t: string) => PRIORITIES.map((p) => keys.lane(t, p)) as [string, string, string, string];
  const dlq = (pt: string) => keys.topic(pt, 'dlq');
  return {
    scheduleRetry: (ref, dueAt, raw, headers) =>
      call(async () => {
        // The stream id keeps two retries of one message with equal headers apart in the set.
        const member = JSON.stringify({ sid: ref.streamId, env: raw, hdr: headers });
        const delayed = keys.group(ref.partitionTopic, ref.group, 'delayed');
        return (await client.agentbus_retry_v2(ref.stream, delayed, ref.group, ref.streamId, dueAt, member)) === 1;
      }),
    moveDue: (pt, group, now, limit) =>
      call(async () => {
        const [moved, next] = await client.agentbus_move_due_v2(keys.group(pt, group, 'delayed'), keys.group(pt, group, 'inbox'), now, limit);
        return { moved: Number(moved), nextDueAt: next === '' ? null : Number(next) };
      }),
    moveLegacyDue: (pt, now, limit) =>
      call(async () => {
        const legacy = keys.topic(pt, 'delayed');
        const [moved, first] = await Promise.all([
          client.agentbus_move_due_v1(legacy, ...lanes(pt), now, limit),
          client.zrange(legacy, '0', '0', 'WITHSCORES'),
        ]);
        return { moved: Number(moved), nextDueAt: first[1] === undefined ? null : Number(first[1]) };
      }),
    deadLetter: (input) =>
      call(async () => {
        const r = await client.agentbus_dead_letter_v2(
          input.stream,
          dlq(input.partitionTopic),
          keys.topic(input.partitionTopic, 'dlq-dropped'),
          input.group,
          input.streamId,
          deadLetterMaxLen,
          ...deadLetterFields(input),
        );
        return r ? { id: r[0], dropped: Number(r[1]) } : null;
      }),
    list: (pt, from, to, count) => call(async () => letters((await client.xrange(dlq(pt), from, to, 'COUNT', count)) as Row[])),
    get: (pt, id) => call(async () => letters((await client.xrange(dlq(pt), id, id)) as Row[])[0]),
    tail: (pt) =>
      call(async () => {
        const [depth, last] = await Promise.all([client.xlen(dlq(pt)), client.xrevrange(dlq(pt), '+', '-', 'COUNT', 1)]);
        return { depth: Number(depth), lastId: last[0]?.[0] ?? null };
      }),
    remove: (pt, ids) => call(async () => (ids.length === 0 ? 0 : Number(await client.xdel(dlq(pt), ...ids)))),
    clear: (pt) =>
      call(async () => {
        const [n] = await Promise.all([client.xlen(dlq(pt)), client.del(dlq(pt))]);
        return Number(n);
      }),
    depth: (pt) => call(async () => Number(await client.xlen(dlq(pt)))),
    delayed: (pt, group) => call(async () => Number(await client.zcard(keys.group(pt, group, 'delayed')))),
    legacyDelayed: (pt) => call(async () => Number(await client.zcard(keys.topic(pt, 'delayed')))),
    dropped: (pt) => call(async () => Number((await client.get(keys.topic(pt, 'dlq-dropped'))) ?? 0)),
  };
}
