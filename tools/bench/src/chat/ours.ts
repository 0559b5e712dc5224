import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { WebSocket } from 'ws';
import { workspaceRoot } from '../report';
import { inBatches, startServerProcess, type ServerProcess } from './child';
import { tokensFile, type BenchUser, type ChatContender } from './workload';

export interface OursOptions {
  redisUrl: string;
  port: number;
  dir: string;
}

/** The chat hub's own executable; the bench never imports the app, it runs it. */
export function hubExecutable(): string {
  return path.join(workspaceRoot(), 'apps/chat-hub/dist/main.js');
}

/**
 * @agentbus/chat-hub as deployed: its built `agentbus-chat-hub` process on Redis, configured by
 * the environment; clients are plain `ws` sockets speaking its protocol (hello, then
 * `channel.message` frames), each frame JSON-parsed as a real client would.
 */
export async function oursContender(o: OursOptions): Promise<ChatContender> {
  const main = hubExecutable();
  if (!existsSync(main)) throw new Error(`${main} is missing: build it (npx nx run @agentbus/chat-hub:build)`);
  let server: ServerProcess | undefined;
  const sockets: WebSocket[] = [];
  return {
    name: 'ours',
    label: '@agentbus/chat-hub (ws + Redis: rate limit, stream append + Pub/Sub per message)',
    async connect(users, onText) {
      const file = path.join(o.dir, 'chat-tokens.json');
      writeFileSync(file, tokensFile(users));
      server = await startServerProcess(
        'chat hub',
        [main],
        {
          PATH: process.env.PATH,
          REDIS_URL: o.redisUrl,
          REDIS_NAMESPACE: 'bench',
          CHAT_HOST: '127.0.0.1',
          CHAT_PORT: String(o.port),
          CHAT_HUB_ID: 'bench-hub',
          CHAT_TOKENS_FILE: file,
          CHAT_WEB: '0',
          // The workload's own pace is the limit under test, not the per-user buckets.
          CHAT_RATE_LIMITS: JSON.stringify({ message: { capacity: 1000, refillPerSecond: 1000 } }),
        },
        / listening on /,
      );
      const url = `ws://127.0.0.1:${o.port}/ws`;
      await inBatches(users, 50, async (u: BenchUser) => {
        const ws = new WebSocket(url, { perMessageDeflate: false });
        sockets[u.index] = ws;
        await new Promise<void>((resolve, reject) => {
          ws.once('error', reject);
          ws.once('open', () => ws.send(JSON.stringify({ type: 'hello', token: u.token, recent: false })));
          ws.on('message', (data) => {
            const frame = JSON.parse(data.toString()) as { type: string; env?: { type: string; payload: { text?: string } } };
            if (frame.type === 'welcome') resolve();
            else if (frame.type === 'event' && frame.env?.type === 'channel.message') onText(frame.env.payload.text ?? '');
            else if (frame.type === 'error') reject(new Error(`hub refused ${u.id}: ${JSON.stringify(frame)}`));
          });
        });
      });
    },
    send(user, text) {
      sockets[user.index]?.send(JSON.stringify({ type: 'channel.message', payload: { channelId: user.channel, text } }));
    },
    settings: () => ({ server: 'apps/chat-hub/dist/main.js, one process', transport: 'ws, perMessageDeflate off', rate_limit: 'message bucket 1000/s per user' }),
    async close() {
      for (const ws of sockets) ws?.terminate();
      await server?.stop();
    },
  };
}
