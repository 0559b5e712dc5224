import type { RedisServer, RedisServerOptions } from '../types';
import { freePort, LOOPBACK } from './free-port';
import { spawnManaged, signalProcess, terminate, type ManagedProcess } from './managed-process';
import { ping } from './resp';
import { makeTempDir, removeTempDir } from './temp-dir';
import { waitUntil } from './wait-until';

/** redis-server arguments for the options, shared by the binary and container backends. */
export function redisArgs(options: RedisServerOptions): string[] {
  // No RDB snapshots: they would fork mid-test and make kill -9 results depend on timing.
  const args = ['--save', '', '--appendonly', options.appendonly ? 'yes' : 'no'];
  if (options.appendonly) args.push('--appendfsync', options.appendfsync ?? 'everysec');
  if (options.maxmemory !== undefined) args.push('--maxmemory', String(options.maxmemory));
  if (options.maxmemoryPolicy !== undefined) args.push('--maxmemory-policy', options.maxmemoryPolicy);
  args.push(...(options.extraArgs ?? []));
  return args;
}

export interface RedisLaunch {
  binary: string;
  host: string;
  port: number;
  dir: string;
  args: readonly string[];
  timeoutMs: number;
}

/** Starts redis-server in the foreground and resolves once it answers PING. */
export async function launchRedis(launch: RedisLaunch): Promise<ManagedProcess> {
  const { host, port, dir } = launch;
  const proc = spawnManaged(
    launch.binary,
    ['--port', String(port), '--bind', host, '--dir', dir, '--daemonize', 'no', '--logfile', '', ...launch.args],
    { cwd: dir },
  );
  try {
    await waitUntil(`redis-server on ${host}:${port} to answer PING`, () => ping({ host, port }), {
      timeoutMs: launch.timeoutMs,
      check: () => proc.assertRunning(`redis-server on ${host}:${port}`),
    });
  } catch (error) {
    await terminate(proc, 'SIGKILL');
    throw error;
  }
  return proc;
}

function isPortClash(error: unknown): boolean {
  return error instanceof Error && /address already in use/i.test(error.message);
}

/**
 * Like launchRedis on a free port, picking another port when a parallel worker grabbed the
 * one we were handed between the probe and redis-server's bind.
 */
export async function launchRedisOnFreePort(launch: Omit<RedisLaunch, 'port'>, attempts = 3): Promise<{ proc: ManagedProcess; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort(launch.host);
    try {
      return { proc: await launchRedis({ ...launch, port }), port };
    } catch (error) {
      if (attempt >= attempts || !isPortClash(error)) throw error;
    }
  }
}

/** A redis-server from this machine's binary, in its own temp dir on a free loopback port. */
export async function startRedisBinary(binary: string, options: RedisServerOptions): Promise<RedisServer> {
  const host = LOOPBACK;
  const dir = makeTempDir('redis');
  const args = redisArgs(options);
  const timeoutMs = options.startupTimeoutMs ?? 15_000;
  let launched: { proc: ManagedProcess; port: number };
  try {
    launched = await launchRedisOnFreePort({ binary, host, dir, args, timeoutMs });
  } catch (error) {
    removeTempDir(dir);
    throw error;
  }
  let proc = launched.proc;
  const port = launched.port;
  let stopped = false;

  return {
    url: `redis://${host}:${port}`,
    host,
    port,
    kind: 'binary',
    get pid() {
      return proc.isRunning() ? proc.pid : undefined;
    },
    dataDir: dir,
    async stop() {
      if (stopped) return;
      stopped = true;
      await terminate(proc);
      removeTempDir(dir);
    },
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      await signalProcess(proc, signal);
    },
    async restart() {
      if (stopped) throw new Error('cannot restart a Redis after stop()');
      await terminate(proc);
      proc = await launchRedis({ binary, host, port, dir, args, timeoutMs });
    },
  };
}
