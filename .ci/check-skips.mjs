#!/usr/bin/env node
// Fails when a test was skipped that .ci/allowed-skips.txt does not name. Reads the
// .vitest-results.json every project writes under CI (vitest.shared.ts).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const allowed = new Set(
  readFileSync(path.join(root, '.ci/allowed-skips.txt'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#')),
);
const results = ['apps', 'packages', 'tools']
  .flatMap((dir) => (existsSync(path.join(root, dir)) ? readdirSync(path.join(root, dir)).map((p) => path.join(root, dir, p)) : []))
  .map((project) => path.join(project, '.vitest-results.json'))
  .filter((file) => existsSync(file));
const skipped = [];
for (const file of results) {
  const report = JSON.parse(readFileSync(file, 'utf8'));
  for (const suite of report.testResults ?? []) {
    for (const t of suite.assertionResults ?? []) {
      if (t.status !== 'skipped' && t.status !== 'pending' && t.status !== 'todo') continue;
      skipped.push({ name: [...(t.ancestorTitles ?? []), t.title].join(' > '), file: path.relative(root, suite.name ?? file) });
    }
  }
}
const refused = skipped.filter((s) => !allowed.has(s.name));
console.log(`ci: ${results.length} result files, ${skipped.length} skipped, ${skipped.length - refused.length} of them allowed`);
if (results.length === 0) {
  console.error('ci: no .vitest-results.json found: was npm test run with CI set?');
  process.exit(1);
}
for (const s of refused) console.error(`ci: skipped and not allowed: ${s.name} (${s.file})`);
process.exit(refused.length > 0 ? 1 : 0);
