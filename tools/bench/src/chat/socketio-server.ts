import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import type * as SocketIo from 'socket.io';
import type * as RedisAdapter from '@socket.io/redis-adapter';
import { loadModule } from './load-module';

interface Payload {
  channelId?: unknown;
  text?: unknown;
}

/**
 * The Socket.IO side of the comparison, run as its own process (`chat --serve-socketio`):
 * the same users and channels, token auth, a membership check and the same message shape as the
 * hub's event (an envelope around channel.message), broadcast to the room through
 * @socket.io/redis-adapter. It keeps no history and applies no rate limit: Socket.IO's usual setup.
 */
export async function serveSocketIo(port: number, redisUrl: string, tokensPath: string): Promise<void> {
  const { Server } = await loadModule<typeof SocketIo>('socket.io');
  const { createAdapter } = await loadModule<typeof RedisAdapter>('@socket.io/redis-adapter');
  const users = new Map(
    (JSON.parse(readFileSync(tokensPath, 'utf8')) as { token: string; id: string; channels: string[] }[]).map((u) => [u.token, u]),
  );
  const http = createServer();
  const io = new Server(http, { transports: ['websocket'], serveClient: false, perMessageDeflate: false, maxHttpBufferSize: 128 * 1024 });
  const pub = new Redis(redisUrl);
  const sub = pub.duplicate();
  io.adapter(createAdapter(pub, sub));
  io.use((socket, next) => {
    const user = users.get(String((socket.handshake.auth as { token?: unknown }).token));
    if (!user) return next(new Error('unauthorized'));
    socket.data.user = user;
    next();
  });
  io.on('connection', (socket) => {
    const user = socket.data.user as { id: string; channels: string[] };
    for (const c of user.channels) void socket.join(c);
    socket.on('message', (m: Payload) => {
      if (typeof m?.channelId !== 'string' || typeof m.text !== 'string' || !user.channels.includes(m.channelId)) return;
      const messageId = randomUUID();
      io.to(m.channelId).emit('message', {
        id: randomUUID(),
        type: 'channel.message',
        from: user.id,
        to: `channel:${m.channelId}`,
        act: 'inform',
        payload: { channelId: m.channelId, messageId, author: { id: user.id, kind: 'agent' }, text: m.text, mentions: [] },
        ts: Date.now(),
        priority: 'normal',
        v: 1,
      });
    });
  });
  await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
  console.log(`socket.io listening on 127.0.0.1:${port}`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await io.close();
  pub.disconnect();
  sub.disconnect();
}
