import type { RedisClusterNode } from '../types';

/** "host:port,host:port" (IPv6 as "[::1]:7000"), the REDIS_CLUSTER_NODES format. */
export function parseClusterNodes(list: string): RedisClusterNode[] {
  return list
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map((item) => {
      const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(item);
      if (match === null) throw new Error(`invalid cluster node ${JSON.stringify(item)}: expected host:port`);
      return { host: match[1]!, port: Number(match[2]) };
    });
}

export function formatClusterNodes(nodes: readonly RedisClusterNode[]): string {
  return nodes.map(({ host, port }) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`)).join(',');
}

export function nodeUrl({ host, port }: RedisClusterNode): string {
  return host.includes(':') ? `redis://[${host}]:${port}` : `redis://${host}:${port}`;
}
