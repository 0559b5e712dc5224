#!/usr/bin/env node
// Installs the workspace's dependencies when they are missing or older than the lockfile,
// so `npm test` and `npm start` work on a fresh clone with no other step.
import { existsSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const marker = path.join(root, 'node_modules', '.package-lock.json');
const lock = path.join(root, 'package-lock.json');

const missing = !existsSync(marker);
const stale = !missing && existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs + 1000;
if (missing || stale) {
  const args = existsSync(lock) ? ['ci', '--no-audit', '--no-fund'] : ['install', '--no-audit', '--no-fund'];
  console.log(`agentbus: dependencies ${missing ? 'missing' : 'older than package-lock.json'}; running npm ${args[0]}`);
  const r = spawnSync('npm', args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`agentbus: npm ${args[0]} failed (exit ${r.status}); run it by hand to see why`);
    process.exit(r.status ?? 1);
  }
}
