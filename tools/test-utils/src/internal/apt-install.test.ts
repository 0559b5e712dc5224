import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aptInstall, canAptInstall, isRoot } from './apt-install';

// Made in beforeAll, not at import: `vitest list` imports test files without running hooks.
let root = '';
beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'agentbus-apt-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/**
 * A stand-in apt-get that logs its arguments: `install` fails until `update` ran when
 * `stale`, and always when `broken`. The real one would change this machine.
 */
function fakeApt(name: string, behaviour: 'ok' | 'stale' | 'broken'): { env: Record<string, string>; log: string } {
  const dir = path.join(root, name);
  mkdirSync(dir);
  const log = path.join(dir, 'calls.log');
  const script = `#!/bin/sh
echo "$DEBIAN_FRONTEND $*" >> "${log}"
case "$*" in *update*) : > "${dir}/updated"; exit 0;; esac
[ "${behaviour}" = broken ] && { echo "E: Unable to locate package redis-server" >&2; exit 100; }
[ "${behaviour}" = stale ] && [ ! -e "${dir}/updated" ] && exit 100
exit 0
`;
  writeFileSync(path.join(dir, 'apt-get'), script);
  chmodSync(path.join(dir, 'apt-get'), 0o755);
  return { env: { PATH: dir }, log };
}

describe('aptInstall', () => {
  it('installs non-interactively and says so in one line', async () => {
    const apt = fakeApt('ok', 'ok');
    const lines: string[] = [];
    await aptInstall(['redis-server', 'redis-tools'], apt.env, (line) => lines.push(line));
    expect(lines).toEqual(['agentbus test-utils: installing redis-server redis-tools with apt-get (running as root, none found)']);
    expect(readFileSync(apt.log, 'utf8')).toBe(
      'noninteractive -o DPkg::Lock::Timeout=300 install -y --no-install-recommends redis-server redis-tools\n',
    );
  });

  it('refreshes a stale package index once', async () => {
    const apt = fakeApt('stale', 'stale');
    await aptInstall(['postgresql'], apt.env, () => undefined);
    expect(readFileSync(apt.log, 'utf8').trim().split('\n').map((l) => l.split(' ').at(-1))).toEqual([
      'postgresql',
      'update',
      'postgresql',
    ]);
  });

  it('fails with apt-get\'s last line', async () => {
    const apt = fakeApt('broken', 'broken');
    await expect(aptInstall(['redis-server'], apt.env, () => undefined)).rejects.toThrow(
      'apt-get install redis-server failed: E: Unable to locate package redis-server',
    );
  });

  // Only ever with a stand-in apt-get first on PATH: the real one is in /usr/bin as well.
  it('is only offered to root', () => {
    expect(canAptInstall({ PATH: path.join(root, 'ok') })).toBe(isRoot());
  });
});
