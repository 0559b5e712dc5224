#!/usr/bin/env node
// The `agentbus-bridge` bin: `migrate` or `relay`. Everything but signal wiring is in runCli.
import { runCli } from './run-cli';

const stop = new AbortController();
process.once('SIGINT', () => stop.abort());
process.once('SIGTERM', () => stop.abort());
const code = await runCli(process.argv.slice(2), { signal: stop.signal });
// Exit explicitly: a client library may keep a timer or socket alive after close.
process.exit(code);
