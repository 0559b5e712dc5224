import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

// Every bin the README names, run the way it says: `npx --no-install`, which never reaches the
// registry (a name someone else published there is never run).
const BINS = [
  ['agentbus', '@agentbus/broker', /^usage: agentbus </m],
  ['agentbus-broker', '@agentbus/broker', /agentbus-broker/],
  ['agentbus-worker', '@agentbus/worker', /^usage: agentbus-worker /m],
  ['agentbus-chat-hub', '@agentbus/chat-hub', /agentbus-chat-hub|CHAT_/],
  ['agentbus-bridge', '@agentbus/bridge', /agentbus-bridge/],
] as const;

function npx(bin: string, arg: string): { status: number | null; out: string } {
  const r = spawnSync('npx', ['--no-install', bin, arg], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, REDIS_URL: '', npm_config_yes: 'false' },
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('the CLIs from a clone', () => {
  it.each(BINS)('%s --version prints its name and its package version', (bin, pkg) => {
    const r = npx(bin, '--version');
    expect(r.out).toMatch(new RegExp(`^${bin} \\d+\\.\\d+\\.\\d+ \\(${pkg}\\)\\n$`));
    expect(r.status).toBe(0);
  });

  it.each(BINS)('%s --help prints its usage and exits 0', (bin, _pkg, usage) => {
    const r = npx(bin, '--help');
    expect(r.out).toMatch(usage);
    expect(r.status).toBe(0);
  });
});
