import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as SocketIoClient from 'socket.io-client';
import { inBatches, startServerProcess, type ServerProcess } from './child';
import { loadModule } from './load-module';
import { tokensFile, type BenchUser, type ChatContender } from './workload';

export interface SocketIoOptions {
  redisUrl: string;
  port: number;
  dir: string;
}

type ClientSocket = ReturnType<typeof SocketIoClient.io>;

/** Socket.IO 4 + @socket.io/redis-adapter, server in its own process, websocket transport only (its fastest setting). */
export async function socketIoContender(o: SocketIoOptions): Promise<ChatContender> {
  const { io } = await loadModule<typeof SocketIoClient>('socket.io-client');
  let server: ServerProcess | undefined;
  const sockets: ClientSocket[] = [];
  return {
    name: 'socketio',
    label: 'Socket.IO 4 + @socket.io/redis-adapter (websocket transport, no history)',
    async connect(users, onText) {
      const file = path.join(o.dir, 'socketio-tokens.json');
      writeFileSync(file, tokensFile(users));
      // The bench's own cli in its server role: no second build entry needed.
      const cli = fileURLToPath(import.meta.url);
      server = await startServerProcess(
        'socket.io server',
        [cli, 'chat', '--serve-socketio', String(o.port), '--redis-url', o.redisUrl, '--tokens-file', file],
        { PATH: process.env.PATH },
        /socket\.io listening on/,
      );
      const url = `http://127.0.0.1:${o.port}`;
      await inBatches(users, 50, async (u: BenchUser) => {
        const s = io(url, { transports: ['websocket'], auth: { token: u.token }, forceNew: true, reconnection: false });
        sockets[u.index] = s;
        s.on('message', (m: { payload?: { text?: string } }) => onText(m.payload?.text ?? ''));
        await new Promise<void>((resolve, reject) => {
          s.once('connect', () => resolve());
          s.once('connect_error', (e: Error) => reject(new Error(`socket.io refused ${u.id}: ${e.message}`)));
        });
      });
    },
    send(user, text) {
      sockets[user.index]?.emit('message', { channelId: user.channel, text });
    },
    settings: () => ({ server: 'socket.io 4 in one process, redis adapter', transport: 'websocket only, perMessageDeflate off' }),
    async close() {
      for (const s of sockets) s?.disconnect();
      await server?.stop();
    },
  };
}
