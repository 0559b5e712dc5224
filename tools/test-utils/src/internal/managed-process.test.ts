import { describe, expect, it } from 'vitest';
import { tracked } from './cleanup-registry';
import { signalProcess, spawnManaged, terminate } from './managed-process';

const node = process.execPath;

describe('managed processes', () => {
  it('tracks a child until it exits and keeps its output', async () => {
    const proc = spawnManaged(node, ['-e', 'console.log("hello"); console.error("oops"); process.exit(3)']);
    expect(tracked().pids).toContain(proc.pid);
    expect(await proc.exited).toEqual({ code: 3, signal: null });
    expect(proc.isRunning()).toBe(false);
    expect(tracked().pids).not.toContain(proc.pid);
    expect(proc.output()).toMatch(/hello[\s\S]*oops/);
    expect(() => proc.assertRunning('demo')).toThrow(/demo exited \(code 3\) during startup:\nhello/);
    await terminate(proc);
    await signalProcess(proc, 'SIGKILL');
  });

  it('escalates to SIGKILL when the graceful signal is ignored', async () => {
    const proc = spawnManaged(node, ['-e', 'process.on("SIGTERM", () => {}); console.log("up"); setInterval(() => {}, 1000)']);
    while (!proc.output().includes('up')) await new Promise((r) => setTimeout(r, 10));
    proc.assertRunning('stubborn');
    await terminate(proc, 'SIGTERM', 200);
    expect((await proc.exited).signal).toBe('SIGKILL');
  });

  it('fails loudly when a fatal signal does not end the process in time', async () => {
    const proc = spawnManaged(node, ['-e', 'process.on("SIGINT", () => {}); console.log("up"); setInterval(() => {}, 1000)']);
    while (!proc.output().includes('up')) await new Promise((r) => setTimeout(r, 10));
    await expect(signalProcess(proc, 'SIGINT', 200)).rejects.toThrow(`process ${proc.pid} did not exit after SIGINT`);
    await terminate(proc, 'SIGKILL');
    expect(proc.isRunning()).toBe(false);
  });

  it('reports a binary that cannot be spawned', async () => {
    const proc = spawnManaged('/nonexistent/binary', []);
    expect((await proc.exited).code).toBe(-1);
    expect(proc.output()).toMatch(/ENOENT/);
  });
});
