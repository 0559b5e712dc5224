import type { Cluster, Redis, Result as IoResult } from 'ioredis';
import { defineScripts } from '@agentbus/transport';
import retryLua from './retry.lua';
import moveDueLua from './move-due.lua';
import moveDueV1Lua from './move-due-v1.lua';
import deadLetterLua from './dead-letter.lua';

/**
 * The reliability scripts, registered once per connection under versioned names: a process of an
 * older version keeps running its own scripts beside these during a rolling upgrade.
 */
const SCRIPTS = {
  agentbus_retry_v2: { lua: retryLua, numberOfKeys: 2 },
  agentbus_move_due_v2: { lua: moveDueLua, numberOfKeys: 2 },
  agentbus_move_due_v1: { lua: moveDueV1Lua, numberOfKeys: 5 },
  agentbus_dead_letter_v2: { lua: deadLetterLua, numberOfKeys: 3 },
} as const;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    agentbus_retry_v2(stream: string, delayed: string, group: string, id: string, dueAt: number, member: string): IoResult<number, Context>;
    agentbus_move_due_v2(delayed: string, inbox: string, now: number, limit: number): IoResult<[number, string], Context>;
    agentbus_move_due_v1(
      delayed: string,
      urgent: string,
      high: string,
      normal: string,
      low: string,
      now: number,
      limit: number,
    ): IoResult<number, Context>;
    agentbus_dead_letter_v2(
      stream: string,
      dlq: string,
      dropped: string,
      group: string,
      id: string,
      cap: number,
      ...fields: string[]
    ): IoResult<[string, number] | null, Context>;
  }
}


/** Registers the reliability scripts on a connection (idempotent). */
export function defineReliabilityScripts(client: Redis | Cluster): void {
  defineScripts(client, SCRIPTS);
}
