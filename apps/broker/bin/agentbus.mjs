#!/usr/bin/env node
// `agentbus`: the built dist/cli.js when there is one; in a clone not built yet, its sources.
import { existsSync, readFileSync } from 'node:fs';

const at = (p) => new URL(p, import.meta.url);
if (process.argv[2] === '--version') {
  const { name, version } = JSON.parse(readFileSync(at('../package.json'), 'utf8'));
  console.log(`agentbus ${version} (${name})`);
} else if (existsSync(at('../dist/cli.js'))) await import(at('../dist/cli.js').href);
else (await import(at('../../../tools/scripts/run-source.mjs').href)).runBinFromSource(at('.').pathname + 'agentbus.mjs');
