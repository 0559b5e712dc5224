import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

/**
 * Runs as a separate, detached process reading "+pid 123" / "-dir /x" lines on stdin. When the
 * test process dies in any way, even SIGKILL where no exit handler runs, stdin reaches EOF and
 * the reaper kills what is still registered and removes the temp dirs.
 */
const REAPER_SCRIPT = `
const { rmSync } = require('node:fs');
const pids = new Set(); const dirs = new Set(); let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  buf += d; let i;
  while ((i = buf.indexOf('\\n')) >= 0) {
    const line = buf.slice(0, i); buf = buf.slice(i + 1);
    const set = line.slice(1, 4) === 'pid' ? pids : dirs;
    const value = set === pids ? Number(line.slice(5)) : line.slice(5);
    if (line[0] === '+') set.add(value); else set.delete(value);
  }
});
const reap = () => {
  for (const p of pids) { try { process.kill(p, 'SIGKILL'); } catch {} }
  setTimeout(() => {
    for (const d of dirs) { try { rmSync(d, { recursive: true, force: true, maxRetries: 5 }); } catch {} }
    process.exit(0);
  }, pids.size > 0 ? 200 : 0);
};
process.stdin.on('end', reap); process.stdin.on('error', reap);
`;

interface RegistryState {
  pids: Set<number>;
  dirs: Set<string>;
  reaper: ChildProcess | undefined;
  installed: boolean;
}

/**
 * One registry per process, not per module instance: vitest re-evaluates modules for every
 * test file, and per-instance state would pile up exit listeners and reaper processes.
 */
const STATE_KEY = Symbol.for('@agentbus/test-utils/cleanup-registry');
const holder = globalThis as { [STATE_KEY]?: RegistryState };
const state: RegistryState = (holder[STATE_KEY] ??= { pids: new Set(), dirs: new Set(), reaper: undefined, installed: false });
const { pids, dirs } = state;

function tell(line: string): void {
  if (state.reaper?.stdin?.writable) state.reaper.stdin.write(`${line}\n`);
}

/** Kills and removes everything registered, synchronously: exit handlers cannot await. */
export function cleanupNow(): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  pids.clear();
  for (const dir of dirs) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // Best effort: the reaper tries again.
    }
  }
  dirs.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  cleanupNow();
  process.removeListener(signal, onSignal);
  // Re-raise only when nobody else (vitest, the app) handles the signal, so default
  // termination still happens and nothing else's shutdown is cut short.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function install(): void {
  if (state.installed) return;
  state.installed = true;
  process.on('exit', cleanupNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  try {
    const reaper = spawn(process.execPath, ['-e', REAPER_SCRIPT], {
      stdio: ['pipe', 'ignore', 'ignore'],
      // Its own process group: a Ctrl-C aimed at the test run must not kill the reaper first.
      detached: true,
    });
    reaper.on('error', () => {
      state.reaper = undefined;
    });
    reaper.stdin?.on('error', () => undefined);
    reaper.unref();
    (reaper.stdin as { unref?: () => void } | null)?.unref?.();
    state.reaper = reaper;
  } catch {
    state.reaper = undefined;
  }
}

export function trackProcess(pid: number): void {
  install();
  pids.add(pid);
  tell(`+pid ${pid}`);
}

export function untrackProcess(pid: number): void {
  pids.delete(pid);
  tell(`-pid ${pid}`);
}

export function trackDir(dir: string): void {
  install();
  dirs.add(dir);
  tell(`+dir ${dir}`);
}

export function untrackDir(dir: string): void {
  dirs.delete(dir);
  tell(`-dir ${dir}`);
}

/** What is registered now; for tests. */
export function tracked(): { pids: number[]; dirs: string[] } {
  return { pids: [...pids], dirs: [...dirs] };
}
