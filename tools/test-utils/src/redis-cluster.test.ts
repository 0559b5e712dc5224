import { afterEach, describe, expect, it, vi } from 'vitest';
import { ping, respCommand } from './internal/resp';
import { startRedisCluster } from './redis-cluster';

describe('startRedisCluster', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('starts three masters that all report cluster_state:ok, and stops them', async () => {
    const cluster = await startRedisCluster();
    try {
      expect(cluster.kind).toBe('binary');
      expect(cluster.nodes).toHaveLength(3);
      expect(cluster.pids).toHaveLength(3);
      expect(cluster.urls).toEqual(cluster.nodes.map((n) => `redis://127.0.0.1:${n.port}`));
      for (const node of cluster.nodes) {
        const info = await respCommand(node, ['CLUSTER', 'INFO']);
        expect(info).toMatch(/cluster_state:ok/);
        expect(info).toMatch(/cluster_slots_assigned:16384/);
      }
      // A key lands on exactly one node; the others redirect with MOVED.
      const replies = await Promise.allSettled(cluster.nodes.map((n) => respCommand(n, ['SET', 'k', 'v'])));
      expect(replies.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(replies.filter((r) => r.status === 'rejected' && /MOVED/.test(String(r.reason)))).toHaveLength(2);
    } finally {
      await cluster.stop();
      await cluster.stop();
    }
    for (const node of cluster.nodes) expect(await ping(node, 200)).toBe(false);
  });

  it('needs at least three masters', async () => {
    await expect(startRedisCluster({ masters: 2 })).rejects.toThrow('a Redis Cluster needs at least 3 masters (got 2)');
  });

  it('uses REDIS_CLUSTER_NODES as an external cluster', async () => {
    vi.stubEnv('REDIS_CLUSTER_NODES', '127.0.0.1:7000, [::1]:7001,10.0.0.3:7002');
    const cluster = await startRedisCluster({ backend: 'external' });
    expect(cluster.kind).toBe('external');
    expect(cluster.nodes).toEqual([
      { host: '127.0.0.1', port: 7000 },
      { host: '::1', port: 7001 },
      { host: '10.0.0.3', port: 7002 },
    ]);
    expect(cluster.urls[1]).toBe('redis://[::1]:7001');
    await cluster.stop();
  });
});
