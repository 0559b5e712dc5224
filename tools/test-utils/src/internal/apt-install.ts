import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { findBinary, type Env } from './find-binary';

const run = promisify(execFile);

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

export function canAptInstall(env: Env = process.env): boolean {
  return isRoot() && findBinary('apt-get', env) !== undefined;
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines[lines.length - 1] ?? '';
}

/**
 * Installs Debian packages quietly, saying so in one line. Parallel test workers may race
 * for the dpkg lock, hence the lock timeout; a stale package index gets one `apt-get update`.
 */
export async function aptInstall(packages: readonly string[], env: Env = process.env, log: (line: string) => void = console.log): Promise<void> {
  const aptGet = findBinary('apt-get', env);
  if (aptGet === undefined) throw new Error('apt-get not found');
  log(`agentbus test-utils: installing ${packages.join(' ')} with apt-get (running as root, none found)`);
  const options = { env: { ...env, DEBIAN_FRONTEND: 'noninteractive' }, maxBuffer: 64 * 1024 * 1024 };
  const install = ['-o', 'DPkg::Lock::Timeout=300', 'install', '-y', '--no-install-recommends', ...packages];
  try {
    await run(aptGet, install, options);
  } catch {
    try {
      await run(aptGet, ['-o', 'DPkg::Lock::Timeout=300', 'update'], options);
      await run(aptGet, install, options);
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? String(error);
      throw new Error(`apt-get install ${packages.join(' ')} failed: ${lastLine(stderr)}`);
    }
  }
}
