import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { mkdirSync } from 'node:fs';
import type { RedisCluster, RedisClusterNode, RedisClusterOptions } from '../types';
import { nodeUrl } from './cluster-nodes';
import { freeClusterPort, LOOPBACK } from './free-port';
import { terminate, type ManagedProcess } from './managed-process';
import { launchRedis } from './redis-process';
import { respCommand } from './resp';
import { makeTempDir, removeTempDir } from './temp-dir';
import { waitUntil } from './wait-until';

const run = promisify(execFile);

/** Per-node settings; 5 s node timeout keeps failover tests short without flapping. */
export function clusterNodeArgs(extraArgs: readonly string[] = []): string[] {
  return [
    '--cluster-enabled', 'yes',
    '--cluster-config-file', 'nodes.conf',
    '--cluster-node-timeout', '5000',
    '--save', '',
    '--appendonly', 'no',
    ...extraArgs,
  ];
}

/** True when `node` reports cluster_state:ok and knows all `expected` nodes. */
export async function clusterNodeReady(node: RedisClusterNode, expected: number): Promise<boolean> {
  try {
    const info = await respCommand(node, ['CLUSTER', 'INFO']);
    return typeof info === 'string' && /^cluster_state:ok\r?$/m.test(info) && new RegExp(`^cluster_known_nodes:${expected}\\r?$`, 'm').test(info);
  } catch {
    return false;
  }
}

async function launchNode(binary: string, dir: string, taken: Set<number>, args: readonly string[], timeoutMs: number): Promise<{ proc: ManagedProcess; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freeClusterPort(taken);
    taken.add(port).add(port + 10_000);
    try {
      return { proc: await launchRedis({ binary, host: LOOPBACK, port, dir, args, timeoutMs }), port };
    } catch (error) {
      if (attempt >= 3 || !(error instanceof Error) || !/already in use/i.test(error.message)) throw error;
    }
  }
}

/**
 * `masters` redis-server processes in cluster mode, joined with redis-cli --cluster create,
 * resolved once every node says cluster_state:ok.
 */
export async function startRedisClusterBinary(redisServer: string, redisCli: string, masters: number, options: RedisClusterOptions): Promise<RedisCluster> {
  const timeoutMs = options.startupTimeoutMs ?? 30_000;
  const root = makeTempDir('redis-cluster');
  const taken = new Set<number>();
  const args = clusterNodeArgs(options.extraArgs);
  const launched: { proc: ManagedProcess; port: number }[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(launched.map(({ proc }) => terminate(proc)));
    removeTempDir(root);
  };
  try {
    // Ports are chosen one after another so no two nodes share a port or a bus port.
    for (let i = 0; i < masters; i++) {
      const dir = path.join(root, `node-${i}`);
      mkdirSync(dir);
      launched.push(await launchNode(redisServer, dir, taken, args, timeoutMs));
    }
    const nodes = launched.map(({ port }) => ({ host: LOOPBACK, port }));
    try {
      await run(
        redisCli,
        ['--cluster', 'create', ...nodes.map(({ host, port }) => `${host}:${port}`), '--cluster-replicas', '0', '--cluster-yes'],
        { timeout: timeoutMs },
      );
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      throw new Error(`redis-cli --cluster create failed:\n${`${stdout}\n${stderr}`.trim()}`);
    }
    const ready = async (): Promise<boolean> => (await Promise.all(nodes.map((node) => clusterNodeReady(node, masters)))).every(Boolean);
    await waitUntil('cluster_state:ok on every node', ready, { timeoutMs, intervalMs: 100 });
    let stopped = false;
    return {
      nodes,
      urls: nodes.map(nodeUrl),
      kind: 'binary',
      pids: launched.map(({ proc }) => proc.pid),
      async stop() {
        if (stopped) return;
        stopped = true;
        await stopAll();
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
