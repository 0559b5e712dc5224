import type { Cluster, Redis, Result as IoResult } from 'ioredis';
import { defineScripts } from './script-registry';
import publishLua from './publish.lua';
import trimLua from './trim.lua';
import reapLua from './reap.lua';
import readLanesLua from './read-lanes.lua';
import leaseRenewLua from './lease-renew.lua';
import membershipLua from './membership.lua';
import partitionLeaseLua from './partition-lease.lua';

/**
 * The Lua scripts, registered once per connection with `defineCommand` under versioned names:
 * a changed script gets a new name, so processes of two versions never run each other's code.
 */
export const SCRIPTS = {
  agentbus_publish_v1: { lua: publishLua },
  agentbus_trim_v2: { lua: trimLua, numberOfKeys: 3 },
  agentbus_reap_v1: { lua: reapLua, numberOfKeys: 1 },
  agentbus_read_lanes_v1: { lua: readLanesLua },
  agentbus_lease_renew_v1: { lua: leaseRenewLua, numberOfKeys: 1 },
  agentbus_membership_v1: { lua: membershipLua, numberOfKeys: 1 },
  agentbus_partition_lease_v1: { lua: partitionLeaseLua, numberOfKeys: 1 },
} as const;

/** The defined commands, typed. `numkeys` first where the key count varies. */
export interface ScriptCommands {
  agentbus_publish_v1(numkeys: number, ...keysAndArgs: string[]): Promise<[number, string | number]>;
  agentbus_trim_v2(...keysAndArgs: TrimScriptArgs): Promise<TrimScriptReply>;
  agentbus_reap_v1(stream: string, group: string, idleMs: number, keep: string): Promise<string[]>;
  agentbus_read_lanes_v1(numkeys: number, ...keysAndArgs: Array<string | number>): Promise<ReadLanesReply>;
  agentbus_lease_renew_v1(stream: string, group: string, consumer: string, mode: 'renew' | 'ack', ...ids: string[]): Promise<string[]>;
  agentbus_membership_v1(key: string, member: string, ttlMs: number): Promise<string[]>;
  agentbus_partition_lease_v1(key: string, token: string, mode: 'acquire' | 'release', ttlMs: number): Promise<number>;
}

/** read-lanes.lua's reply: `[1, ...entriesPerStream]`, `[0, ...lastIds]` or `[-1]`. */
export type ReadLanesReply = [number, ...Array<Array<[string, string[] | null]> | string>];

/**
 * trim.lua's keys and arguments: stream, dropped counter, checkpoints; age MINID, maxLen,
 * hardMaxLen, policy entries per call, hard-cap ids per call, walked ids per call, node size.
 */
export type TrimScriptArgs = [string, string, string, string, number, number, number, number, number, number];
/** trim.lua's reply: trimmed, droppedUnacked, examined, more (0/1), maxLen rule (0-4). */
export type TrimScriptReply = [number, number, number, number, number];

declare module 'ioredis' {
  interface RedisCommander<Context> {
    agentbus_publish_v1(numkeys: number, ...keysAndArgs: string[]): IoResult<[number, string | number], Context>;
    agentbus_trim_v2(...keysAndArgs: TrimScriptArgs): IoResult<TrimScriptReply, Context>;
    agentbus_reap_v1(stream: string, group: string, idleMs: number, keep: string): IoResult<string[], Context>;
    agentbus_read_lanes_v1(numkeys: number, ...keysAndArgs: Array<string | number>): IoResult<ReadLanesReply, Context>;
    agentbus_lease_renew_v1(
      stream: string,
      group: string,
      consumer: string,
      mode: 'renew' | 'ack',
      ...ids: string[]
    ): IoResult<string[], Context>;
    agentbus_membership_v1(key: string, member: string, ttlMs: number): IoResult<string[], Context>;
    agentbus_partition_lease_v1(key: string, token: string, mode: 'acquire' | 'release', ttlMs: number): IoResult<number, Context>;
  }
}

/** The scripts whose key count varies: `numkeys` is their first argument. */
export const VARIABLE_KEY_SCRIPTS: readonly string[] = Object.entries(SCRIPTS)
  .filter(([, def]) => !('numberOfKeys' in def))
  .map(([name]) => name);

/** Registers every transport script on a connection (idempotent). */
export function defineTransportScripts(client: Redis | Cluster): void {
  defineScripts(client, SCRIPTS);
}

/** Publish script return codes. */
export const PUBLISH_ADDED = 1;
export const PUBLISH_DUPLICATE = 2;
export const PUBLISH_BACKPRESSURE = -1;

/** read-lanes.lua reply codes. */
export const READ_ENTRIES = 1;
export const READ_EMPTY = 0;
export const READ_FENCED = -1;
