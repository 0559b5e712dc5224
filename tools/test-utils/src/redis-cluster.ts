import { aptInstall, canAptInstall } from './internal/apt-install';
import { planBackend, REDIS_CLUSTER_SERVICE, type BackendProbes } from './internal/backend-plan';
import { nodeUrl, parseClusterNodes } from './internal/cluster-nodes';
import { findBinary, requireBinary } from './internal/find-binary';
import { startRedisClusterBinary } from './internal/redis-cluster-process';
import type { RedisCluster, RedisClusterOptions } from './types';

function clusterProbes(): BackendProbes {
  return {
    env: process.env,
    // Cluster has no testcontainers path: one container per node plus announce-ip plumbing
    // buys nothing over local processes.
    dockerAnswers: () => Promise.resolve(false),
    binaryFound: () => findBinary('redis-server') !== undefined && findBinary('redis-cli') !== undefined,
    canAptInstall: () => canAptInstall(),
  };
}

/**
 * Starts a Redis Cluster of `masters` (default 3) nodes with no replicas on free loopback
 * ports, or uses REDIS_CLUSTER_NODES ("host:port,host:port") when no redis-server is here.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const masters = options.masters ?? 3;
  if (!Number.isInteger(masters) || masters < 3) throw new Error(`a Redis Cluster needs at least 3 masters (got ${masters})`);
  const plan = await planBackend(REDIS_CLUSTER_SERVICE, clusterProbes(), options.backend);
  if (plan.kind === 'external') {
    const nodes = parseClusterNodes(plan.url);
    return {
      nodes,
      urls: nodes.map(nodeUrl),
      kind: 'external',
      pids: [],
      stop: () => Promise.resolve(),
    };
  }
  if (plan.kind === 'binary' && plan.install) await aptInstall(REDIS_CLUSTER_SERVICE.aptPackages);
  const packages = REDIS_CLUSTER_SERVICE.aptPackages;
  return startRedisClusterBinary(requireBinary('redis-server', packages), requireBinary('redis-cli', packages), masters, options);
}
