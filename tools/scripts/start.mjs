#!/usr/bin/env node
// `npm start`: the main job — broker, worker and chat hub in one process (start-all.ts), on the
// in-memory backend when REDIS_URL is unset, against Redis when it is set. Package sources run
// directly (tsx + the @agentbus/source condition): no build step needed on a fresh clone.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const child = spawn(
  process.execPath,
  ['--conditions=@agentbus/source', '--import', 'tsx', '--import', path.join(here, 'register-lua.mjs'), path.join(here, 'start-all.ts'), ...process.argv.slice(2)],
  { cwd: path.resolve(here, '../..'), stdio: 'inherit' },
);
// Forward stop signals, so Ctrl-C and `kill` stop the bus cleanly.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
