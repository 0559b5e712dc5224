#!/usr/bin/env node
// `npm run demo`: a small swarm driven through the broker's HTTP API. Without --broker it starts
// an embedded broker on the in-memory backend first.
import { parseArgs } from 'node:util';
import { runDemo } from './demo';
import { startDemoBroker } from './embedded';

const USAGE = `usage: agentbus-demo [--broker URL] [--token T] [--pause MS]

Drives a small swarm through the broker: a coordinator posts tasks, researchers claim them,
post findings, one conflict escalates to a human. Without --broker (or AGENTBUS_BROKER_URL) an
embedded broker on the in-memory backend runs in this process, with a token per demo agent.
Against your own broker, run it without auth (BROKER_AUTH=off): the demo plays four agents, and a
token acts as one agent only.`;

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { broker: { type: 'string' }, token: { type: 'string' }, pause: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const pauseMs = values.pause === undefined ? 250 : Number(values.pause);
  if (!Number.isInteger(pauseMs) || pauseMs < 0) throw new Error(`--pause must be whole milliseconds >= 0, got ${values.pause}`);
  const brokerUrl = values.broker ?? (process.env.AGENTBUS_BROKER_URL || undefined);
  const token = values.token ?? (process.env.AGENTBUS_TOKEN || undefined);
  if (brokerUrl !== undefined) {
    await runDemo({ brokerUrl, pauseMs, ...(token === undefined ? {} : { token }) });
    return 0;
  }
  const embedded = await startDemoBroker();
  console.log(`embedded broker on the memory backend at ${embedded.url} (docs: ${embedded.url}/docs)\n`);
  try {
    await runDemo({ brokerUrl: embedded.url, tokens: embedded.tokens, pauseMs });
  } finally {
    await embedded.close();
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`agentbus demo: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
