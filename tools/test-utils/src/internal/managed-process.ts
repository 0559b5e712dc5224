import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { trackProcess, untrackProcess } from './cleanup-registry';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A server child process whose recent output is kept for error messages. */
export interface ManagedProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<ExitInfo>;
  isRunning(): boolean;
  /** The last few KB of stdout and stderr. */
  output(): string;
  /** Throws with the output when the process has exited; for use while waiting on startup. */
  assertRunning(what: string): void;
}

const OUTPUT_LIMIT = 8 * 1024;

export function spawnManaged(command: string, args: readonly string[], options: SpawnOptions = {}): ManagedProcess {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let exit: ExitInfo | undefined;
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      if (child.pid !== undefined) untrackProcess(child.pid);
      resolve(exit);
    });
    child.once('error', (error) => {
      keep(Buffer.from(String(error)));
      exit ??= { code: -1, signal: null };
      resolve(exit);
    });
  });
  if (child.pid !== undefined) trackProcess(child.pid);
  // A forgotten stop() must not keep the test process alive; the exit handlers reap it.
  child.unref();
  for (const stream of [child.stdout, child.stderr]) (stream as { unref?: () => void } | null)?.unref?.();
  return {
    child,
    pid: child.pid ?? -1,
    exited,
    isRunning: () => exit === undefined,
    output: () => output,
    assertRunning(what: string): void {
      if (exit === undefined) return;
      const how = exit.signal ?? `code ${String(exit.code)}`;
      throw new Error(`${what} exited (${how}) during startup:\n${output.trim()}`);
    },
  };
}

/** Resolves once exited or after `ms`; true when it exited. */
async function exitedWithin(proc: ManagedProcess, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const done = await Promise.race([proc.exited.then(() => true as const), timeout]);
  clearTimeout(timer);
  return done;
}

/** Signals that end a server; others (SIGSTOP for a hang, SIGHUP) are fire-and-forget. */
const FATAL: ReadonlySet<NodeJS.Signals> = new Set(['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGQUIT']);

export async function signalProcess(proc: ManagedProcess, signal: NodeJS.Signals, waitMs = 10_000): Promise<void> {
  if (!proc.isRunning()) return;
  proc.child.kill(signal);
  if (FATAL.has(signal) && !(await exitedWithin(proc, waitMs))) {
    throw new Error(`process ${proc.pid} did not exit after ${signal}`);
  }
}

/** Graceful stop with `signal`, SIGKILL after `graceMs`. A paused (SIGSTOP) process is resumed first. */
export async function terminate(proc: ManagedProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 5_000): Promise<void> {
  if (!proc.isRunning()) return;
  proc.child.kill('SIGCONT');
  proc.child.kill(signal);
  if (await exitedWithin(proc, graceMs)) return;
  proc.child.kill('SIGKILL');
  await proc.exited;
}
