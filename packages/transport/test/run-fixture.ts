import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');

/** Runs a fixture from test/fixtures in a real child process, on the package sources. */
export function runFixture(name: string, args: string[]): ChildProcess {
  return spawn(
    process.execPath,
    [
      '--conditions=@agentbus/source',
      '--import', 'tsx',
      '--import', path.join(root, 'tools/scripts/register-lua.mjs'),
      path.join(here, 'fixtures', name),
      ...args,
    ],
    { cwd: path.resolve(here, '..'), stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

/** Collects the child's stdout lines as they come. */
export function lines(child: ChildProcess): string[] {
  const out: string[] = [];
  let rest = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop()!;
    out.push(...parts);
  });
  return out;
}
