#!/usr/bin/env node
// `agentbus-worker`: the built dist/main.js when there is one; in a clone not built yet, its sources.
import { existsSync, readFileSync } from 'node:fs';

const at = (p) => new URL(p, import.meta.url);
if (process.argv[2] === '--version') {
  const { name, version } = JSON.parse(readFileSync(at('../package.json'), 'utf8'));
  console.log(`agentbus-worker ${version} (${name})`);
} else if (existsSync(at('../dist/main.js'))) await import(at('../dist/main.js').href);
else (await import(at('../../../tools/scripts/run-source.mjs').href)).runBinFromSource(at('.').pathname + 'agentbus-worker.mjs');
