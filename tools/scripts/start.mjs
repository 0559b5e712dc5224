#!/usr/bin/env node
// `npm start`: the main job. Until the apps (broker, worker, chat hub) exist, it shows the
// workspace and runs a short embedded demo of the bus: on Redis when REDIS_URL is set, else in
// memory. Package sources run directly (tsx + the @agentbus/source condition): no build step.
import { readdirSync, existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
console.log('agentbus workspace');
for (const group of ['packages', 'apps', 'tools']) {
  const dir = path.join(root, group);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir).sort()) {
    const pj = path.join(dir, name, 'package.json');
    if (!existsSync(pj)) continue;
    const pkg = JSON.parse(readFileSync(pj, 'utf8'));
    console.log(`  ${`${group}/${name}`.padEnd(22)} ${pkg.name.padEnd(22)} ${pkg.description ?? ''}`);
  }
}
console.log('');
const r = spawnSync(
  process.execPath,
  ['--conditions=@agentbus/source', '--import', 'tsx', '--import', path.join(here, 'register-lua.mjs'), path.join(here, 'demo.ts')],
  { cwd: root, stdio: 'inherit' },
);
process.exit(r.status ?? 1);
