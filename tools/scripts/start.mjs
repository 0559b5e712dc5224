#!/usr/bin/env node
// `npm start`: the main job — broker, worker and chat hub in one process (start-all.ts), on the
// in-memory backend when REDIS_URL is unset, against Redis when it is set. Package sources run
// directly: no build step needed on a fresh clone.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { root, runSource } from './run-source.mjs';

runSource(path.join(path.dirname(fileURLToPath(import.meta.url)), 'start-all.ts'), process.argv.slice(2), { cwd: root });
