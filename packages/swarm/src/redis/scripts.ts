import type { Cluster, Redis, Result as IoResult } from 'ioredis';
import { defineScripts } from '@agentbus/transport';
import transitionLua from './task-transition.lua';
import escalateLua from './escalate.lua';
import createLua from './create.lua';
import compareAndSetLua from './compare-and-set.lua';
import readLua from './read.lua';
import remediateLua from './remediate.lua';

/**
 * The swarm's Lua scripts, registered once per connection with `defineCommand` under versioned
 * names: a changed script gets a new name, so processes of two versions never run each other's
 * code. The reply shapes are documented in each script's header.
 */
export const SWARM_SCRIPTS = {
  agentbus_swarm_task_transition_v2: { lua: transitionLua },
  agentbus_swarm_escalate_v1: { lua: escalateLua },
  agentbus_swarm_create_v2: { lua: createLua },
  agentbus_swarm_cas_v1: { lua: compareAndSetLua, numberOfKeys: 1 },
  agentbus_swarm_read_v1: { lua: readLua, numberOfKeys: 1 },
  agentbus_swarm_remediate_v1: { lua: remediateLua, numberOfKeys: 2 },
} as const;

/** What a script reply can hold (RESP2: strings, integers, nested arrays). */
export type ScriptReply = string | number | null | ScriptReply[];

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** task-transition.lua: `numkeys` first (task, one index per status, lease index). */
    agentbus_swarm_task_transition_v2(numkeys: number, ...keysAndArgs: string[]): IoResult<ScriptReply[], Context>;
    /** escalate.lua: `numkeys` first (task, one index per status, lease index, stream). */
    agentbus_swarm_escalate_v1(numkeys: number, ...keysAndArgs: string[]): IoResult<ScriptReply[], Context>;
    /** create.lua: `numkeys` first (1, or 2 with an index). */
    agentbus_swarm_create_v2(numkeys: number, ...keysAndArgs: string[]): IoResult<number, Context>;
    agentbus_swarm_cas_v1(key: string, type: string, value: string, ttlSeconds: number, ...expected: string[]): IoResult<number, Context>;
    agentbus_swarm_read_v1(key: string): IoResult<ScriptReply[], Context>;
    agentbus_swarm_remediate_v1(
      key: string,
      to: string,
      action: 'expire' | 'quarantine',
      type: string,
      ttlSeconds: number,
    ): IoResult<number, Context>;
  }
}

/** Registers the swarm scripts on a connection (idempotent). */
export function defineSwarmScripts(client: Redis | Cluster): void {
  defineScripts(client, SWARM_SCRIPTS);
}

/** Return codes of the transition and escalate scripts (escalate answers applied, missing, wrongtype, changed). */
export const TRANSITION_CODES = {
  applied: 1,
  already: 2,
  reindexed: 3,
  missing: 0,
  status: -1,
  guard: -2,
  wrongtype: -3,
  changed: -4,
} as const;
