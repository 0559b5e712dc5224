import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { cleanupNow, trackDir, tracked, trackProcess, untrackDir, untrackProcess } from './cleanup-registry';
import { waitUntil } from './wait-until';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Alive and not a zombie: a container's PID 1 may be slow to reap orphans. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    if (existsSync('/proc/self/stat')) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

/** Runs test/crash-child.ts, which starts a Redis and dies `how`; returns what it had started. */
async function crashChild(how: 'sigkill' | 'exit' | 'sigterm'): Promise<{ pid: number; dir: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/crash-child.ts', how], {
    cwd: packageDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await new Promise((resolve) => child.on('exit', resolve));
  const line = out.split('\n').find((l) => l.startsWith('{'));
  if (line === undefined) throw new Error(`crash-child printed no server:\n${out}`);
  return JSON.parse(line) as { pid: number; dir: string };
}

describe('cleanup when the test process dies', () => {
  it.each(['sigkill', 'exit', 'sigterm'] as const)('leaves no redis-server or temp dir behind after %s', async (how) => {
    const { pid, dir } = await crashChild(how);
    expect(pid).toBeGreaterThan(0);
    await waitUntil(`redis-server ${pid} to be reaped and ${dir} removed`, () => !alive(pid) && !existsSync(dir), {
      timeoutMs: 5_000,
    });
  });
});

describe('registry', () => {
  it('kills tracked processes and removes tracked dirs on cleanupNow', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    const dir = mkdtempSync(path.join(os.tmpdir(), 'agentbus-registry-'));
    const kept = mkdtempSync(path.join(os.tmpdir(), 'agentbus-registry-kept-'));
    trackProcess(child.pid!);
    trackDir(dir);
    trackDir(kept);
    untrackDir(kept);
    trackProcess(999_999_999);
    untrackProcess(999_999_999);
    expect(tracked().pids).toContain(child.pid);
    cleanupNow();
    expect(await exited).toBe('SIGKILL');
    expect(existsSync(dir)).toBe(false);
    expect(existsSync(kept)).toBe(true);
    rmSync(kept, { recursive: true });
    expect(tracked()).toEqual({ pids: [], dirs: [] });
  });
});

describe('one registry per process', () => {
  it('is shared by module instances, as vitest makes one per test file', async () => {
    trackProcess(999_999_998);
    const listeners = process.listenerCount('exit');
    vi.resetModules();
    const again = await import('./cleanup-registry');
    again.trackDir('/nonexistent/agentbus-shared');
    expect(process.listenerCount('exit')).toBe(listeners);
    expect(tracked().dirs).toContain('/nonexistent/agentbus-shared');
    expect(again.tracked().pids).toContain(999_999_998);
    again.untrackProcess(999_999_998);
    untrackDir('/nonexistent/agentbus-shared');
    expect(tracked()).toEqual({ pids: [], dirs: [] });
  });
});
