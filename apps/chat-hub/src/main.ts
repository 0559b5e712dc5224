#!/usr/bin/env node
// `agentbus-chat-hub`: one hub process, configured by the environment (see README).
import { createChatHub } from './chat-hub';
import { createDemoSetup } from './demo-setup';
import { chatHubOptionsFromEnv } from './env';

const options = chatHubOptionsFromEnv();
const demo = options.tokens?.length ? undefined : createDemoSetup();
const hub = createChatHub(demo ? { ...options, tokens: demo.tokens, channels: [...demo.channels, ...(options.channels ?? [])] } : options);
const url = await hub.listen();
console.log(`chat hub ${hub.hubId} listening on ${url} (WebSocket ${url.replace(/^http/, 'ws')}${options.path ?? '/ws'}, ${hub.transport.backend} backend)`);
if (demo) {
  console.log('no CHAT_TOKENS or CHAT_TOKENS_FILE: demo tokens for this run:');
  for (const link of demo.links(url)) console.log(`  ${link.id}: ${link.url}`);
  const agent = demo.tokens.find((t) => t.kind === 'agent');
  if (agent) console.log(`  ${agent.id} (agent): token ${agent.token}`);
}

let stopping = false;
const stop = (signal: string) => {
  if (stopping) process.exit(1);
  stopping = true;
  console.log(`chat hub ${hub.hubId}: ${signal}, closing`);
  hub.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`chat hub ${hub.hubId}: close failed: ${(error as Error).message}`);
      process.exit(1);
    },
  );
};
process.once('SIGINT', () => stop('SIGINT'));
process.once('SIGTERM', () => stop('SIGTERM'));
