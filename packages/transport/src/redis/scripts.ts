import type { Cluster, Redis, Result as IoResult } from 'ioredis';
import publishLua from './publish.lua';
import trimLua from './trim.lua';
import reapLua from './reap.lua';

/**
 * The Lua scripts, registered once per connection with `defineCommand` under versioned names:
 * a changed script gets a new name, so processes of two versions never run each other's code.
 */
export const SCRIPTS = {
  agentbus_publish_v1: { lua: publishLua },
  agentbus_trim_v1: { lua: trimLua, numberOfKeys: 2 },
  agentbus_reap_v1: { lua: reapLua, numberOfKeys: 1 },
} as const;

/** The defined commands, typed. `numkeys` first where the key count varies. */
export interface ScriptCommands {
  agentbus_publish_v1(numkeys: number, ...keysAndArgs: string[]): Promise<[number, string | number]>;
  agentbus_trim_v1(stream: string, droppedKey: string, minId: string, maxLen: number, hardMaxLen: number): Promise<[number, number]>;
  agentbus_reap_v1(stream: string, group: string, idleMs: number, keep: string): Promise<string[]>;
}

declare module 'ioredis' {
  interface RedisCommander<Context> {
    agentbus_publish_v1(numkeys: number, ...keysAndArgs: string[]): IoResult<[number, string | number], Context>;
    agentbus_trim_v1(
      stream: string,
      droppedKey: string,
      minId: string,
      maxLen: number,
      hardMaxLen: number,
    ): IoResult<[number, number], Context>;
    agentbus_reap_v1(stream: string, group: string, idleMs: number, keep: string): IoResult<string[], Context>;
  }
}

const registered = new WeakSet<object>();

/** Registers every script on a connection (idempotent). */
export function defineScripts(client: Redis | Cluster): void {
  if (registered.has(client)) return;
  for (const [name, def] of Object.entries(SCRIPTS)) {
    client.defineCommand(name, 'numberOfKeys' in def ? { lua: def.lua, numberOfKeys: def.numberOfKeys } : { lua: def.lua });
  }
  registered.add(client);
}

/** Publish script return codes. */
export const PUBLISH_ADDED = 1;
export const PUBLISH_DUPLICATE = 2;
export const PUBLISH_BACKPRESSURE = -1;
