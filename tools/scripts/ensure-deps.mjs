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
  console.log(`agentbus: dependencies ${missing ? 'missing' : 'older than package-lock.json'}; installing`);
  const npm = (args) => spawnSync('npm', [...args, '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' }).status;
  // `npm ci` when the lockfile allows it; npm 11 can refuse a lockfile that leaves out other
  // platforms' optional packages (rollup, esbuild), and then `npm install` installs the same
  // locked versions.
  let status = existsSync(lock) ? npm(['ci']) : 1;
  if (status !== 0) {
    if (existsSync(lock)) console.log('agentbus: npm ci refused the lockfile; running npm install');
    status = npm(['install']);
  }
  if (status !== 0) {
    console.error(`agentbus: npm install failed (exit ${status}); run it by hand to see why`);
    process.exit(status ?? 1);
  }
}
