import type { Cluster, Redis } from 'ioredis';

/** A Lua script to register: its text, and its key count when fixed (else `numkeys` comes first). */
export interface ScriptDefinition {
  lua: string;
  numberOfKeys?: number;
}

const registered = new WeakMap<object, Set<string>>();

/**
 * Registers scripts on a connection with `defineCommand`, each name once per connection, so
 * packages sharing one connection (transport, reliability, swarm, the chat hub) never register
 * twice. Names are versioned (`agentbus_x_v2`): a changed script gets a new name, so processes of
 * two versions never run each other's code during a rolling upgrade.
 */
export function defineScripts(client: Redis | Cluster, scripts: Readonly<Record<string, ScriptDefinition>>): void {
  let names = registered.get(client);
  if (!names) {
    names = new Set();
    registered.set(client, names);
  }
  for (const [name, def] of Object.entries(scripts)) {
    if (names.has(name)) continue;
    client.defineCommand(name, def.numberOfKeys === undefined ? { lua: def.lua } : { lua: def.lua, numberOfKeys: def.numberOfKeys });
    names.add(name);
  }
}
