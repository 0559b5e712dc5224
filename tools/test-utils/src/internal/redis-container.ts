import type { RedisServer, RedisServerOptions } from '../types';
import { redisArgs } from './redis-process';
import { signalContainer } from './signal-container';

/** What the adapter uses of a started container: testcontainers' own, or a stand-in in tests. */
export interface StartedContainer {
  getHost(): string;
  getPort(): number;
  getId(): string;
  stop(): Promise<unknown>;
  restart(options: { timeout: number }): Promise<void>;
}

/** Sends a signal to a container by id. */
export type ContainerSignaller = (containerId: string, signal: NodeJS.Signals) => Promise<void>;

/** How a Redis container is started: image, redis-server arguments, startup timeout. */
export type RedisContainerStarter = (image: string, args: readonly string[], startupTimeoutMs: number) => Promise<StartedContainer>;

/**
 * @testcontainers/redis is imported here, on first use, so machines without Docker never load
 * dockerode and its optional native modules.
 */
const startWithTestcontainers: RedisContainerStarter = async (image, args, startupTimeoutMs) => {
  const { RedisContainer } = await import('@testcontainers/redis');
  return new RedisContainer(image).withCommand(['redis-server', ...args]).withStartupTimeout(startupTimeoutMs).start();
};

/** Redis in a container. `start` and `signal` are testcontainers' unless a test hands in stand-ins. */
export async function startRedisContainer(
  options: RedisServerOptions,
  start: RedisContainerStarter = startWithTestcontainers,
  signal: ContainerSignaller = signalContainer,
): Promise<RedisServer> {
  const container = await start(options.image ?? 'redis:7-alpine', redisArgs(options), options.startupTimeoutMs ?? 120_000);
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
    async kill(sig: NodeJS.Signals = 'SIGKILL') {
      await signal(container.getId(), sig);
    },
    async restart() {
      // docker restart also starts an exited (killed) container; the AOF lives in its filesystem.
      // A grace period, as for the binary: a running server gets SIGTERM and flushes its AOF.
      await container.restart({ timeout: 10_000 });
    },
  };
}
