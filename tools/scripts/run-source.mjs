// Runs a workspace TypeScript entry point from its sources (tsx + the @agentbus/source export
// condition + the .lua loader): `npm start`, and a bin of a clone that is not built yet, need no
// build step. Signals are forwarded, so Ctrl-C and `kill` stop the child cleanly.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '../..');

export function runSource(file, args, options = {}) {
  const child = spawn(
    process.execPath,
    ['--conditions=@agentbus/source', '--import', 'tsx', '--import', path.join(here, 'register-lua.mjs'), file, ...args],
    { cwd: options.cwd ?? process.cwd(), stdio: 'inherit' },
  );
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

/**
 * A package bin in a clone without dist: the bin's shim (`<package>/bin/<name>.mjs`) maps to the
 * source its package.json `bin` entry is built from (`./dist/cli.js` <- `src/cli.ts`).
 */
export async function runBinFromSource(shim) {
  const { readFileSync } = await import('node:fs');
  const pkgDir = path.resolve(path.dirname(shim), '..');
  const pkg = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  const name = path.basename(shim, '.mjs');
  const built = pkg.agentbusBinSources?.[name];
  if (!built) throw new Error(`${pkg.name}: no agentbusBinSources entry for the bin ${name}`);
  runSource(path.join(pkgDir, built), process.argv.slice(2));
}
