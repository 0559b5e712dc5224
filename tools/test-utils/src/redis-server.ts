import { aptInstall, canAptInstall } from './internal/apt-install';
import { planBackend, REDIS_SERVICE, type BackendProbes } from './internal/backend-plan';
import { detectDocker } from './internal/docker-probe';
import { hostPort, notOwned } from './internal/external-server';
import { findBinary, requireBinary } from './internal/find-binary';
import { startRedisContainer } from './internal/redis-container';
import { startRedisBinary } from './internal/redis-process';
import { resolveRedisOptions, type RedisPresetName } from './redis-presets';
import type { RedisServer, RedisServerOptions } from './types';

function redisProbes(): BackendProbes {
  return {
    env: process.env,
    dockerAnswers: detectDocker,
    binaryFound: () => findBinary('redis-server') !== undefined,
    canAptInstall: () => canAptInstall(),
  };
}

function externalRedis(url: string): RedisServer {
  const { host, port } = hostPort(url, 6379);
  return {
    url,
    host,
    port,
    kind: 'external',
    pid: undefined,
    dataDir: undefined,
    stop: () => Promise.resolve(),
    kill: notOwned('kill', REDIS_SERVICE.urlEnv),
    restart: notOwned('restart', REDIS_SERVICE.urlEnv),
  };
}

/**
 * Starts a real Redis for a test: in a container when a Docker engine answers, else from the
 * redis-server binary on a free loopback port, else REDIS_URL, else after apt-get installing
 * it (root only). `options` is a preset name ('durable') or explicit options.
 */
export async function startRedis(options: RedisServerOptions | RedisPresetName = {}): Promise<RedisServer> {
  const resolved = resolveRedisOptions(options);
  const plan = await planBackend(REDIS_SERVICE, redisProbes(), resolved.backend);
  switch (plan.kind) {
    case 'testcontainers':
      return startRedisContainer(resolved);
    case 'external':
      return externalRedis(plan.url);
    case 'binary':
      if (plan.install) await aptInstall(REDIS_SERVICE.aptPackages);
      return startRedisBinary(requireBinary('redis-server', REDIS_SERVICE.aptPackages), resolved);
  }
}
