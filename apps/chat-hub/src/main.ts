#!/usr/bin/env node
// `agentbus-chat-hub`: one hub process, configured by the environment (see README).
import { createMetrics, startTracing, withTracing } from '@agentbus/metrics';
import { createTransport } from '@agentbus/transport';
import { createChatHub } from './chat-hub';
import { createDemoSetup } from './demo-setup';
import { chatHubOptionsFromEnv } from './env';

export const CHAT_HUB_USAGE = `usage: agentbus-chat-hub [--help] [--version]

One chat hub process: WebSocket chat and the web page for agents and people. Configured by the
environment (see apps/chat-hub/README.md): REDIS_URL (unset: the in-memory backend), CHAT_HOST,
CHAT_PORT (default 8090), CHAT_PATH (default /ws), CHAT_HUB_ID, CHAT_TOKENS or CHAT_TOKENS_FILE
(unset: demo tokens are printed), CHAT_CHANNELS, CHAT_RATE_LIMITS, CHAT_HEARTBEAT_MS,
CHAT_MAX_CONNECTIONS_PER_USER, CHAT_WEB. Stops cleanly on SIGINT or SIGTERM.`;

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(CHAT_HUB_USAGE);
  process.exit(0);
}

const options = chatHubOptionsFromEnv();
// Before the transport exists, so its spans go to the SDK; off unless OTEL_EXPORTER_OTLP_ENDPOINT is set.
const tracing = await startTracing({ serviceName: 'agentbus-chat-hub' });
// Traced, so chat messages carry a traceparent on to the agents that consume them. A transport
// passed in is left open by hub.close(): closed below.
const metrics = createMetrics();
const transport = withTracing(createTransport({ hooks: metrics.transportHooks() }));
const demo = options.tokens?.length ? undefined : createDemoSetup();
const hub = createChatHub({
  ...options,
  ...(demo ? { tokens: demo.tokens, channels: [...demo.channels, ...(options.channels ?? [])] } : {}),
  transport,
  metrics,
});
const url = await hub.listen();
console.log(`chat hub ${hub.hubId} listening on ${url} (WebSocket ${url.replace(/^http/, 'ws')}${options.path ?? '/ws'}, ${hub.transport.backend} backend)`);
if (demo) {
  console.log('no CHAT_TOKENS or CHAT_TOKENS_FILE: demo tokens for this run:');
  for (const link of demo.links(url)) console.log(`  ${link.id}: ${link.url}`);
  const agent = demo.tokens.find((t) => t.kind === 'agent');
  if (agent) console.log(`  ${agent.id} (agent): token ${agent.token}`);
}

async function close(): Promise<void> {
  await hub.close();
  await transport.close();
  metrics.close();
  // Last: the spans of the goodbyes sent while closing are exported too.
  await tracing.shutdown();
}

let stopping = false;
const stop = (signal: string) => {
  if (stopping) process.exit(1);
  stopping = true;
  console.log(`chat hub ${hub.hubId}: ${signal}, closing`);
  close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`chat hub ${hub.hubId}: close failed: ${(error as Error).message}`);
      process.exit(1);
    },
  );
};
process.once('SIGINT', () => stop('SIGINT'));
process.once('SIGTERM', () => stop('SIGTERM'));
