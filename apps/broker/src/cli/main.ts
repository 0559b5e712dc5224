#!/usr/bin/env node
// agentbus: the command line. Everything is in runCli; this only wires the process to it.
import type { CliIo } from './cli-io';
import { runCli } from './run-cli';

/** The real process: stdout, stderr, the environment, and a signal aborted by SIGINT or SIGTERM. */
function processIo(): CliIo {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, signal: controller.signal };
}

runCli(process.argv.slice(2), processIo()).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`agentbus: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
