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

/**
 * Collects a child's stdout lines as they arrive (the array grows in place); a last line without
 * a newline is added when stdout ends.
 */
export function outputLines(child: ChildProcess): string[] {
  const out: string[] = [];
  let rest = '';
  child.stdout
    ?.setEncoding('utf8')
    .on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop()!;
      out.push(...parts);
    })
    .on('end', () => {
      if (rest !== '') out.push(rest);
      rest = '';
    });
  return out;
}

/**
 * Resolves with the exit code (or signal) once the child has exited and its output has been read
 * to the end. That is 'close', not 'exit': at 'exit' stdout may still be open (the last of it
 * unread, or a helper the child started still writing), so outputLines would miss lines.
 */
export function exited(child: ChildProcess): Promise<number | NodeJS.Signals> {
  const status = (code: number | null, signal: NodeJS.Signals | null): number | NodeJS.Signals => code ?? signal ?? 0;
  const streams = [child.stdout, child.stderr].filter((s) => s !== null);
  const gone = child.exitCode !== null || child.signalCode !== null;
  if (gone && streams.every((s) => s.closed)) return Promise.resolve(status(child.exitCode, child.signalCode));
  return new Promise((resolve) => child.once('close', (code, signal) => resolve(status(code, signal))));
}
