#!/usr/bin/env node
// `agentbus-chat-hub`: one hub process, configured by the environment (see README).
import { createMetrics, startTracing, withTracing } from '@agentbus/metrics';
import { createTransport } from '@agentbus/transport';
import { createChatHub } from './chat-hub';
import { createDemoSetup } from './demo-setup';
import { chatHubOptionsFromEnv } from './env';

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
