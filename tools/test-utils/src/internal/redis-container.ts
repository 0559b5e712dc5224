import type { RedisServer, RedisServerOptions } from '../types';
import { redisArgs } from './redis-process';
import { signalContainer } from './signal-container';

/**
 * Redis in a container. @testcontainers/redis is imported here, dynamically, so machines
 * without Docker never load dockerode and its optional native modules.
 */
export async function startRedisContainer(options: RedisServerOptions): Promise<RedisServer> {
  const { RedisContainer } = await import('@testcontainers/redis');
  const container = await new RedisContainer(options.image ?? 'redis:7-alpine')
    .withCommand(['redis-server', ...redisArgs(options)])
    .withStartupTimeout(options.startupTimeoutMs ?? 120_000)
    .start();
  let stopped = false;
  // host and port are read live: a restarted container may be mapped to another host port.
  return {
    get url() {
      return `redis://${container.getHost()}:${container.getPort()}`;
    },
    get host() {
      return container.getHost();
    },
    get port() {
      return container.getPort();
    },
    kind: 'testcontainers',
    pid: undefined,
    dataDir: undefined,
    async stop() {
      if (stopped) return;
      stopped = true;
      await container.stop();
    },
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      await signalContainer(container.getId(), signal);
    },
    async restart() {
      // docker restart also starts an exited (killed) container; the AOF lives in its filesystem.
      // A grace period, as for the binary: a running server gets SIGTERM and flushes its AOF.
      await container.restart({ timeout: 10_000 });
    },
  };
}
