import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { onCleanup } from './lifecycle';

/** A redis-server of the bench's own: loopback only, no persistence, in a temp dir. */
export interface RedisServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  readonly pid: number;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes its dir. Idempotent. */
  stop(): Promise<void>;
}

export interface StartRedisOptions {
  /** The redis-server binary. Default `$REDIS_SERVER_BIN` or `redis-server` on PATH. */
  bin?: string;
  /** How long to wait for it to answer PING. Default 10 s. */
  timeoutMs?: number;
  /** Extra `--option value` arguments. */
  extraArgs?: string[];
}

/** A port that was free a moment ago on 127.0.0.1 (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/** Resolves true when a Redis on host:port answers PING with PONG. */
export function ping(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    let data = '';
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('error', () => done(false));
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.on('data', (chunk) => {
      data += chunk.toString('latin1');
      if (data.includes('\r\n')) done(data.startsWith('+PONG'));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startOnce(bin: string, port: number, options: StartRedisOptions): Promise<RedisServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'agentbus-bench-redis-'));
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--protected-mode', 'yes',
    '--save', '',
    '--appendonly', 'no',
    '--dir', dir,
    '--daemonize', 'no',
    '--loglevel', 'warning',
    ...(options.extraArgs ?? []),
  ];
  const child: ChildProcess = spawn(bin, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  const exitP = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', (e) => {
      exited = true;
      output += `\n${e.message}`;
      resolve();
    });
  });

  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      if (!exited) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exitP;
        clearTimeout(t);
      }
      removeDir();
      unregister();
    })();
    return stopped;
  };
  const unregister = onCleanup(`redis-server :${port}`, stop, () => {
    if (!exited) child.kill('SIGKILL');
    removeDir();
  });

  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  while (!exited && Date.now() < deadline) {
    if (await ping(port)) {
      return { host: '127.0.0.1', port, url: `redis://127.0.0.1:${port}`, dir, pid: child.pid ?? 0, stop };
    }
    await sleep(50);
  }
  await stop();
  throw new Error(
    `redis-server (${bin}) did not start on 127.0.0.1:${port}${exited ? ' (it exited)' : ''}: ${output.trim() || 'no output'}`,
  );
}

/** Starts a redis-server on a free loopback port; tries a few ports if one was taken meanwhile. */
export async function startRedisServer(options: StartRedisOptions = {}): Promise<RedisServer> {
  const bin = options.bin ?? process.env.REDIS_SERVER_BIN ?? 'redis-server';
  let last: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(bin, await freePort(), options);
    } catch (e) {
      last = e as Error;
      if (/ENOENT/.test(last.message)) break;
    }
  }
  throw last ?? new Error('redis-server did not start');
}
