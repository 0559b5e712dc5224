import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
// tsx's ESM loader by absolute URL, so the child may run from any directory.
const tsxLoader = pathToFileURL(path.join(path.dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/loader.mjs')).href;

/**
 * Runs a TypeScript file in a real child process, on the workspace's package sources (tsx, the
 * `@agentbus/source` export condition and the `.lua` text loader): what fault tests kill.
 */
export function spawnTs(file: string, args: readonly string[] = [], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
  return spawn(
    process.execPath,
    [
      '--conditions=@agentbus/source',
      '--import', tsxLoader,
      '--import', pathToFileURL(path.join(root, 'tools/scripts/register-lua.mjs')).href,
      file,
      ...args,
    ],
    { cwd: options.cwd ?? path.dirname(file), env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

/** Collects a child's stdout lines as they arrive (the array grows in place). */
export function outputLines(child: ChildProcess): string[] {
  const out: string[] = [];
  let rest = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop()!;
    out.push(...parts);
  });
  return out;
}

/** Resolves with the exit code (or signal) once the child has exited. */
export function exited(child: ChildProcess): Promise<number | NodeJS.Signals> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(child.signalCode);
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 0)));
}
