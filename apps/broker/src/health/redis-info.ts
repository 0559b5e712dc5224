import type { Cluster, Redis } from 'ioredis';
import type { RedisClient } from '@agentbus/transport';

/** The INFO sections /health/comprehensive reports; the others (commandstats, ...) are noise there. */
export const REPORTED_INFO_SECTIONS = ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'keyspace'] as const;

/** INFO text as `{ section: { field: value } }` (section names lower-cased), only the given sections. */
export function parseRedisInfo(text: string, sections: readonly string[] = REPORTED_INFO_SECTIONS): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  let current: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('#')) {
      const name = line.slice(1).trim().toLowerCase();
      current = sections.includes(name) ? (out[name] = {}) : undefined;
      continue;
    }
    const colon = line.indexOf(':');
    if (current && colon > 0) current[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return out;
}

/** INFO of the server (of the first master, on a Cluster). */
export async function readRedisInfo(client: RedisClient): Promise<Record<string, Record<string, string>>> {
  const node: Redis = (client as Cluster).isCluster === true ? (client as Cluster).nodes('master')[0]! : (client as Redis);
  return parseRedisInfo(await node.info());
}
