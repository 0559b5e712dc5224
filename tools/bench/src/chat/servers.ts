import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startRedisServer, type RedisServer } from '../redis-server';
import { workspaceRoot } from '../report';
import { startServerProcess, type ServerProcess } from './child';
import { tokensFile, type BenchUser, type ContenderName } from './workload';

/** One contender running: its redis-server and one server process per node. */
export interface Deployment {
  contender: ContenderName;
  label: string;
  settings: Record<string, unknown>;
  redis: RedisServer;
  servers: ServerProcess[];
  /** Port of each node, by node number. */
  ports: number[];
  stop(): Promise<void>;
}

/** The chat hub's own executable; the bench never imports the app, it runs it. */
export function hubExecutable(): string {
  return path.join(workspaceRoot(), 'apps/chat-hub/dist/main.js');
}

/** @agentbus/chat-hub as deployed: its built `agentbus-chat-hub` process, configured by the environment. */
function startHub(node: number, port: number, redisUrl: string, tokens: string): Promise<ServerProcess> {
  const main = hubExecutable();
  if (!existsSync(main)) throw new Error(`${main} is missing: build it (npx nx run @agentbus/chat-hub:build)`);
  return startServerProcess(
    `chat hub ${node}`,
    [main],
    {
      PATH: process.env.PATH,
      REDIS_URL: redisUrl,
      REDIS_NAMESPACE: 'bench',
      CHAT_HOST: '127.0.0.1',
      CHAT_PORT: String(port),
      CHAT_HUB_ID: `bench-hub-${node}`,
      CHAT_TOKENS_FILE: tokens,
      CHAT_WEB: '0',
      // The workload's own pace is the limit under test, not the per-user buckets.
      CHAT_RATE_LIMITS: JSON.stringify({ message: { capacity: 1000, refillPerSecond: 1000 } }),
    },
    / listening on /,
  );
}

/** Socket.IO 4 + @socket.io/redis-adapter: this CLI in its server role (`chat --serve-socketio`). */
function startSocketIo(node: number, port: number, redisUrl: string, tokens: string): Promise<ServerProcess> {
  const cli = fileURLToPath(import.meta.url);
  return startServerProcess(
    `socket.io server ${node}`,
    [cli, 'chat', '--serve-socketio', String(port), '--redis-url', redisUrl, '--tokens-file', tokens],
    { PATH: process.env.PATH },
    /socket\.io listening on/,
  );
}

const LABELS: Record<ContenderName, string> = {
  ours: '@agentbus/chat-hub (ws + Redis: rate limit, stream append + Pub/Sub per message)',
  socketio: 'Socket.IO 4 + @socket.io/redis-adapter (websocket transport, no history)',
};

/** Starts a contender's redis-server and `nodes` server processes on it (every node on the one Redis). */
export async function deploy(contender: ContenderName, nodes: number, users: readonly BenchUser[], dir: string): Promise<Deployment> {
  const redis = await startRedisServer();
  const servers: ServerProcess[] = [];
  const stop = async () => {
    for (const s of servers) await s.stop();
    await redis.stop();
  };
  try {
    const tokens = path.join(dir, `${contender}-tokens.json`);
    writeFileSync(tokens, tokensFile(users));
    const ports: number[] = [];
    for (let node = 0; node < nodes; node++) {
      const port = await freePort();
      servers.push(await (contender === 'ours' ? startHub : startSocketIo)(node, port, redis.url, tokens));
      ports.push(port);
    }
    const settings =
      contender === 'ours'
        ? { server: `apps/chat-hub/dist/main.js x ${nodes}, one process each, one Redis`, transport: 'ws, perMessageDeflate off', rate_limit: 'message bucket 1000/s per user' }
        : { server: `socket.io 4 x ${nodes}, one process each, redis adapter on one Redis`, transport: 'websocket only, perMessageDeflate off' };
    return { contender, label: LABELS[contender], settings: { ...settings, nodes }, redis, servers, ports, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
