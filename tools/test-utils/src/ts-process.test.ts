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
