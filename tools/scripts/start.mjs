#!/usr/bin/env node
// `npm start`: the main job. Until the apps exist this says what the workspace holds.
import { readdirSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
console.log('agentbus workspace');
for (const group of ['packages', 'apps', 'tools']) {
  const dir = path.join(root, group);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir)) {
    const pj = path.join(dir, name, 'package.json');
    if (!existsSync(pj)) continue;
    const pkg = JSON.parse(readFileSync(pj, 'utf8'));
    console.log(`  ${group}/${name.padEnd(14)} ${pkg.name.padEnd(24)} ${pkg.description ?? ''}`);
  }
}
