import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exited, outputLines, spawnTs } from './ts-process';

describe('spawnTs', () => {
  it('runs a TypeScript file in a child process and collects its output lines', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'spawnts-'));
    const file = path.join(dir, 'child.ts');
    writeFileSync(file, "const n: number = 2;\nconsole.log('one');\nconsole.log(`two ${n}`);\nprocess.exit(3);\n");
    const child = spawnTs(file);
    const lines = outputLines(child);
    expect(await exited(child)).toBe(3);
    expect(lines).toEqual(['one', 'two 2']);
    expect(await exited(child)).toBe(3);
  });

  it('resolves once the output is read to its end, which can be after the child itself exited', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'spawnts-'));
    const file = path.join(dir, 'hand-off.ts');
    // A helper that outlives the child writes to the same pipe: 'exit' comes before its line does.
    writeFileSync(
      file,
      "import { spawn } from 'node:child_process';\n" +
        "spawn(process.execPath, ['-e', \"setTimeout(() => console.log('helper done'), 300)\"], { stdio: ['ignore', 'inherit', 'inherit'] }).unref();\n" +
        "console.log('child done');\n",
    );
    const child = spawnTs(file);
    const lines = outputLines(child);
    expect(await exited(child)).toBe(0);
    expect(lines).toEqual(['child done', 'helper done']);
  });

  it('keeps a last line that has no newline, and every line of an output larger than the pipe', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'spawnts-'));
    const file = path.join(dir, 'chatty.ts');
    writeFileSync(file, "for (let i = 0; i < 5000; i++) process.stdout.write(`line ${i} ${'x'.repeat(40)}\\n`);\nprocess.stdout.write('no newline at the end');\n");
    const child = spawnTs(file);
    const lines = outputLines(child);
    expect(await exited(child)).toBe(0);
    expect(lines).toHaveLength(5_001);
    expect(lines[4_999]).toBe(`line 4999 ${'x'.repeat(40)}`);
    expect(lines.at(-1)).toBe('no newline at the end');
  });

  // 'close' needs every pipe read to its end; Node drains the ones nobody reads once the child exits.
  it('resolves for a child whose output nobody reads', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'spawnts-'));
    const file = path.join(dir, 'unread.ts');
    writeFileSync(file, "process.stdout.write('o'.repeat(100_000));\nprocess.stderr.write('e'.repeat(100_000));\nprocess.exitCode = 4;\n");
    const child = spawnTs(file);
    expect(await exited(child)).toBe(4);
  });

  it('reports a kill by its signal', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'spawnts-'));
    const file = path.join(dir, 'sleeper.ts');
    writeFileSync(file, "setInterval(() => undefined, 1000);\nconsole.log('up');\n");
    const child = spawnTs(file);
    const lines = outputLines(child);
    await new Promise<void>((r) => {
      const t = setInterval(() => {
        if (lines.includes('up')) {
          clearInterval(t);
          r();
        }
      }, 20);
    });
    child.kill('SIGKILL');
    expect(await exited(child)).toBe('SIGKILL');
  });
});
