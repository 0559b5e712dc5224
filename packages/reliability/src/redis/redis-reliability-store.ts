import { PRIORITIES, type KeyBuilder } from '@agentbus/schema';
import { toAgentbusError, type RedisClient } from '@agentbus/transport';
import { deadLetterFields, parseDeadLetter } from '../internal/dead-letter-fields';
import type { ReliabilityStore } from '../internal/reliability-store';
import type { DeadLetter } from '../dead-letter';
import { defineReliabilityScripts } from './scripts';

function record(flat: string[]): Record<string, string> {
  const r: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) r[flat[i]!] = flat[i + 1]!;
  return r;
}

/** Retries and dead letters on Redis: each settle is one Lua script on the topic's slot. */
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
  return {
    scheduleRetry: (ref, dueAt, raw, headers) =>
      call(async () => {
        const member = JSON.stringify({ lane: ref.lane, env: raw, hdr: headers });
        const n = await client.agentbus_retry_v1(ref.stream, keys.topic(ref.partitionTopic, 'delayed'), ref.group, ref.streamId, dueAt, member);
        return n === 1;
      }),
    moveDue: (pt, now, limit) =>
      call(() => client.agentbus_move_due_v1(keys.topic(pt, 'delayed'), ...lanes(pt), now, limit)),
    deadLetter: (input) =>
      call(() =>
        client.agentbus_dead_letter_v1(
          input.stream,
          keys.topic(input.partitionTopic, 'dlq'),
          input.group,
          input.streamId,
          deadLetterMaxLen,
          ...deadLetterFields(input),
        ),
      ),
    list: (pt, from, to, count) =>
      call(async () => {
        const rows = (await client.xrange(keys.topic(pt, 'dlq'), from, to, 'COUNT', count)) as Array<[string, string[]]>;
        return rows.map(([id, fields]): DeadLetter => parseDeadLetter(id, record(fields)));
      }),
    remove: (pt, ids) => call(async () => (ids.length === 0 ? 0 : Number(await client.xdel(keys.topic(pt, 'dlq'), ...ids)))),
    clear: (pt) =>
      call(async () => {
        const key = keys.topic(pt, 'dlq');
        const n = Number(await client.xlen(key));
        await client.del(key);
        return n;
      }),
    depth: (pt) => call(async () => Number(await client.xlen(keys.topic(pt, 'dlq')))),
    delayed: (pt) => call(async () => Number(await client.zcard(keys.topic(pt, 'delayed')))),
  };
}
