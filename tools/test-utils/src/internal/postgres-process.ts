import { spawn, type SpawnOptions } from 'node:child_process';
import { chownSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { PostgresServer, PostgresServerOptions } from '../types';
import { freePort, LOOPBACK } from './free-port';
import { signalProcess, spawnManaged, terminate, type ManagedProcess } from './managed-process';
import { postgresRunAs } from './run-as';
import { makeTempDir, removeTempDir } from './temp-dir';
import { waitUntil } from './wait-until';

/** The superuser initdb creates; trust auth, so no password. */
export const POSTGRES_USER = 'postgres';
export const DEFAULT_DATABASE = 'agentbus_test';

const DATABASE_NAME_RE = /^[a-z_][a-z0-9_]{0,62}$/;

interface Completed {
  code: number | null;
  output: string;
}

/** Runs a command to completion, feeding it `input`, with its stdout and stderr together. */
function runToEnd(command: string, args: readonly string[], options: SpawnOptions, input = ''): Promise<Completed> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { ...options, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('error', (error) => resolve({ code: -1, output: String(error) }));
    child.on('close', (code) => resolve({ code, output }));
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
  });
}

/** "ready" in postmaster.pid's status line (PostgreSQL 10+) is what pg_ctl waits for too. */
export function postmasterReady(dataDir: string, port: number): boolean {
  try {
    const lines = readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
    return lines[3]?.trim() === String(port) && lines[7]?.trim() === 'ready';
  } catch {
    return false;
  }
}

/** Durability is not under test in the tests; skipping fsync makes startup and writes fast. */
const FAST_SETTINGS: Readonly<Record<string, string>> = { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' };

/** `-c name=value` for every setting: the fast defaults, overridden by the caller's. */
export function settingArgs(settings: Readonly<Record<string, string>> = {}): string[] {
  return Object.entries({ ...FAST_SETTINGS, ...settings }).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
}

async function launchPostgres(postgres: string, dataDir: string, socketDir: string, port: number, options: SpawnOptions, timeoutMs: number, settings: string[]): Promise<ManagedProcess> {
  const proc = spawnManaged(postgres, ['-D', dataDir, '-p', String(port), '-h', LOOPBACK, '-k', socketDir, ...settings], options);
  try {
    await waitUntil(`PostgreSQL on ${LOOPBACK}:${port}`, () => postmasterReady(dataDir, port) || /ready to accept connections/.test(proc.output()), {
      timeoutMs,
      check: () => proc.assertRunning(`postgres on ${LOOPBACK}:${port}`),
    });
  } catch (error) {
    await terminate(proc, 'SIGKILL');
    throw error;
  }
  return proc;
}

/**
 * PostgreSQL from this machine's binaries in a temp dir: initdb with trust auth, the test
 * database created in single-user mode (no client binaries needed), then the postmaster on a
 * free loopback port. As root it runs as an unprivileged user, postgres refusing root.
 */
export async function startPostgresBinary(binDir: string, options: PostgresServerOptions): Promise<PostgresServer> {
  const database = options.database ?? DEFAULT_DATABASE;
  if (!DATABASE_NAME_RE.test(database)) throw new Error(`invalid database name ${JSON.stringify(database)}: use a-z, 0-9 and _`);
  const timeoutMs = options.startupTimeoutMs ?? 30_000;
  const runAs = await postgresRunAs();
  // The unprivileged user must reach the dir; a root-only TMPDIR (e.g. under /root) would not do.
  const root = makeTempDir('pg', runAs ? '/tmp' : undefined);
  const dataDir = path.join(root, 'data');
  const spawnOptions: SpawnOptions = {
    cwd: root,
    env: { ...process.env, LC_ALL: 'C', LANG: 'C', PGDATA: dataDir },
    ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
  };
  const postgres = path.join(binDir, 'postgres');
  let proc: ManagedProcess | undefined;
  let port = 0;
  try {
    if (runAs) chownSync(root, runAs.uid, runAs.gid);
    const initdb = await runToEnd(
      path.join(binDir, 'initdb'),
      ['-D', dataDir, '-A', 'trust', '-U', POSTGRES_USER, '-E', 'UTF8', '--no-locale', '--no-sync'],
      spawnOptions,
    );
    if (initdb.code !== 0) throw new Error(`initdb failed (exit ${String(initdb.code)}):\n${initdb.output.trim()}`);
    const create = await runToEnd(postgres, ['--single', '-D', dataDir, '-F', 'postgres'], spawnOptions, `CREATE DATABASE ${database};\n`);
    if (create.code !== 0 || /\bERROR:/.test(create.output)) {
      throw new Error(`creating database ${database} failed (exit ${String(create.code)}):\n${create.output.trim()}`);
    }
    for (let attempt = 1; proc === undefined; attempt++) {
      port = await freePort();
      try {
        proc = await launchPostgres(postgres, dataDir, root, port, spawnOptions, timeoutMs, settingArgs(options.settings));
      } catch (error) {
        // Another worker may have bound the port between our probe and the postmaster's bind.
        if (attempt >= 3 || !(error instanceof Error) || !/already in use/i.test(error.message)) throw error;
      }
    }
  } catch (error) {
    removeTempDir(root);
    throw error;
  }
  const running = proc;
  let stopped = false;
  return {
    url: `postgres://${POSTGRES_USER}@${LOOPBACK}:${port}/${database}`,
    host: LOOPBACK,
    port,
    database,
    user: POSTGRES_USER,
    kind: 'binary',
    get pid() {
      return running.isRunning() ? running.pid : undefined;
    },
    dataDir,
    async stop() {
      if (stopped) return;
      stopped = true;
      // SIGINT is PostgreSQL's fast shutdown: sessions are ended, no waiting for clients.
      await terminate(running, 'SIGINT', 10_000);
      removeTempDir(root);
    },
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      await signalProcess(running, signal);
    },
  };
}
