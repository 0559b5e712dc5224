import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { trackDir, untrackDir } from './internal/cleanup-registry';
import { findBinary } from './internal/find-binary';
import { freePort, LOOPBACK } from './internal/free-port';
import { spawnManaged } from './internal/managed-process';
import { TestBackendUnavailableError } from './backend-unavailable-error';

export interface RedisSentinel {
  host: string;
  port: number;
  /** The master group name the sentinel monitors. */
  name: string;
  stop(): Promise<void>;
}

export interface RedisSentinelOptions {
  /** The master to monitor. */
  masterHost?: string;
  masterPort: number;
  /** Master group name. Default `mymaster`. */
  name?: string;
}

function askMaster(port: number, name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, LOOPBACK);
    let reply = '';
    socket.setTimeout(1000, () => socket.destroy(new Error('timeout')));
    socket.on('data', (d) => {
      reply += d.toString('utf8');
      if (reply.split('\r\n').length >= 6) {
        socket.end();
        resolve(reply);
      }
    });
    socket.on('error', reject);
    socket.write(`SENTINEL get-master-addr-by-name ${name}\r\n`);
  });
}

/**
 * A Redis Sentinel (`redis-server --sentinel`) on a free loopback port, monitoring one master:
 * what Sentinel-mode clients connect through. Binary only (no Docker path needed here).
 */
export async function startRedisSentinel(options: RedisSentinelOptions): Promise<RedisSentinel> {
  const bin = findBinary('redis-server');
  if (!bin) throw new TestBackendUnavailableError('agentbus tests need redis-server for Sentinel: apt-get install redis-server');
  const name = options.name ?? 'mymaster';
  const host = options.masterHost ?? LOOPBACK;
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'agentbus-sentinel-'));
  trackDir(dir);
  const conf = path.join(dir, 'sentinel.conf');
  // Sentinel rewrites its config file, so it must be a file of its own.
  writeFileSync(
    conf,
    [`port ${port}`, `bind ${LOOPBACK}`, `dir ${dir}`, `sentinel monitor ${name} ${host} ${options.masterPort} 1`, `sentinel down-after-milliseconds ${name} 5000`, ''].join('\n'),
  );
  const proc = spawnManaged(bin, [conf, '--sentinel'], { cwd: dir });
  const deadline = Date.now() + 10_000;
  for (;;) {
    proc.assertRunning('redis sentinel');
    const reply = await askMaster(port, name).catch(() => '');
    if (reply.includes(String(options.masterPort))) break;
    if (Date.now() > deadline) throw new Error(`redis sentinel on ${port} did not report master ${name}:\n${proc.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    host: LOOPBACK,
    port,
    name,
    async stop() {
      if (proc.isRunning()) {
        proc.child.kill('SIGKILL');
        await proc.exited;
      }
      rmSync(dir, { recursive: true, force: true });
      untrackDir(dir);
    },
  };
}
