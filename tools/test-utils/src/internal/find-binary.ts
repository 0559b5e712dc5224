import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { TestBackendUnavailableError } from '../backend-unavailable-error';

export type Env = Readonly<Record<string, string | undefined>>;

/** Searched after PATH: sbin dirs are often missing from a non-root PATH, yet Debian puts tools there. */
export const EXTRA_BIN_DIRS: readonly string[] = ['/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin'];

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Absolute path of `name` on PATH or in the extra dirs, or undefined. */
export function findBinary(name: string, env: Env = process.env, extraDirs: readonly string[] = EXTRA_BIN_DIRS): string | undefined {
  const dirs = [...(env.PATH ?? '').split(path.delimiter), ...extraDirs].filter((d) => d !== '');
  for (const dir of dirs) {
    const file = path.join(dir, name);
    if (isExecutableFile(file)) return file;
  }
  return undefined;
}

function hasPostgresTools(dir: string): boolean {
  return isExecutableFile(path.join(dir, 'initdb')) && isExecutableFile(path.join(dir, 'postgres'));
}

/** Numeric-aware descending order, so 15 beats 9.6. */
function byVersionDesc(a: string, b: string): number {
  return b.localeCompare(a, 'en', { numeric: true });
}

/**
 * The directory holding initdb and postgres: PATH first (Fedora, Homebrew), then Debian's
 * versioned /usr/lib/postgresql/<v>/bin, newest version first.
 */
export function findPostgresBinDir(env: Env = process.env, libRoots: readonly string[] = ['/usr/lib/postgresql']): string | undefined {
  const initdb = findBinary('initdb', env, []);
  if (initdb !== undefined && hasPostgresTools(path.dirname(initdb))) return path.dirname(initdb);
  for (const root of libRoots) {
    let versions: string[];
    try {
      versions = readdirSync(root).sort(byVersionDesc);
    } catch {
      continue;
    }
    for (const version of versions) {
      const dir = path.join(root, version, 'bin');
      if (hasPostgresTools(dir)) return dir;
    }
  }
  return hasPostgresTools('/usr/local/pgsql/bin') ? '/usr/local/pgsql/bin' : undefined;
}

/** A binary that should exist now: the plan found it, or apt-get just installed it. */
export function requireBinary(name: string, packages: readonly string[], env: Env = process.env): string {
  const binary = findBinary(name, env);
  if (binary === undefined) {
    throw new TestBackendUnavailableError(`${name} not found: apt-get install ${packages.join(' ')}`);
  }
  return binary;
}
