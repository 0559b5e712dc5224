import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { AgentbusError, ERROR_CODES, createEnvelope } from '@agentbus/schema';
import { createTransport, type Transport } from '@agentbus/transport';
import { createAuthenticator } from './auth';
import { resolveChatHubOptions, type ChatHubOptions } from './options';
import { createChatRateLimits } from './rate-limits';
import { createHttpServer } from './server/http-server';
import type { HubContext, HubSession } from './server/hub-context';
import { createRouter } from './server/router';
import { createSession } from './server/session';
import type { ChatStore, ChatStoreOptions } from './store/chat-store';
import { createMemoryChatStore } from './store/memory-chat-store';
import { createRedisChatStore } from './store/redis-chat-store';
import { loadWebAssets } from './web-assets';

export interface ChatHub {
  /** Creates the configured channels and members, then accepts connections; resolves with the hub's URL. */
  listen(port?: number): Promise<string>;
  /** Closes every connection (1001), writes their presence, stops the server; closes the transport if the hub made it. */
  close(): Promise<void>;
  /** `http://host:port` once listening (the WebSocket endpoint is `ws://host:port` + `path`). */
  readonly url: string | undefined;
  readonly hubId: string;
  readonly transport: Transport;
  /** Sessions that said hello and are still open. */
  sessions(): number;
}

/** The store for the transport's backend: Redis shared by every hub, or memory shared in this process. */
export function createChatStore(transport: Transport, options: ChatStoreOptions): ChatStore {
  return transport.backend === 'redis' ? createRedisChatStore(transport, options) : createMemoryChatStore(transport, options);
}

function bearer(request: IncomingMessage): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
  return m?.[1];
}

/**
 * A chat hub: Fastify serves the page and `/healthz`; `ws` takes WebSocket upgrades on `path`.
 * Several hubs (processes) on one Redis form one chat: a channel's events are appended and
 * published through Redis, and each hub forwards them to its own sockets.
 */
export function createChatHub(options: ChatHubOptions = {}): ChatHub {
  const o = resolveChatHubOptions(options);
  const auth = createAuthenticator(o.tokens, o.channels);
  const ownTransport = options.transport === undefined;
  const transport = options.transport ?? createTransport();
  const store = createChatStore(transport, { ...o, subscriberName: `agentbus-chat-hub:${o.hubId}:pubsub` });
  const router = createRouter(store, {
    replayLimit: o.replayLimit,
    onError: (error, target) =>
      o.log(`chat-hub ${o.hubId}: Pub/Sub ${target.kind}${'id' in target ? ` ${target.id}` : ''}: ${(error as Error).message}`),
  });
  let sessionCounter = 0;
  const ctx: HubContext = {
    options: o,
    store,
    limits: createChatRateLimits(transport, o.rateLimits),
    auth,
    router,
    knownUsers: new Set(auth.identities().map((i) => i.id)),
    sessions: new Set(),
    nextSessionId: () => `${o.hubId}.${++sessionCounter}`,
  };
  const connections = new Set<HubSession>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: o.maxPayloadBytes, perMessageDeflate: false });
  const metrics = options.metrics;
  const kindOf = new Map(auth.identities().map((i) => [i.id, i.kind]));
  const http = createHttpServer({
    assets: o.web ? loadWebAssets() : [],
    health: () => ({ hubId: o.hubId, backend: transport.backend, sessions: ctx.sessions.size, connections: connections.size }),
    ...(metrics ? { metrics: async () => ({ body: await metrics.metrics(), contentType: metrics.contentType }) } : {}),
  });
  let url: string | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let state: 'new' | 'listening' | 'closing' | 'closed' = 'new';

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(request.url ?? '/', 'http://hub').pathname;
    if (path !== o.path || state !== 'listening') {
      socket.end(`HTTP/1.1 ${state === 'listening' ? '404 Not Found' : '503 Service Unavailable'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws: WebSocket) => {
      const session = createSession(ws, ctx, bearer(request));
      connections.add(session);
      metrics?.chat.connectionOpened();
      void session.done.then(() => {
        connections.delete(session);
        metrics?.chat.connectionClosed();
      });
    });
  };

  async function seed(): Promise<void> {
    const now = Date.now();
    for (const c of auth.channels()) {
      await store.ensureChannel({
        id: c.id,
        name: c.name ?? c.id,
        topic: c.topic ?? '',
        description: c.description ?? '',
        private: c.private ?? false,
        archived: false,
        createdAt: now,
      });
    }
    for (const who of auth.identities()) {
      const member = { id: who.id, kind: who.kind, ...(who.name === undefined ? {} : { name: who.name }) };
      await store.saveProfile(member);
      for (const channelId of who.channels) {
        // Only the hub that adds a member first announces it, however many hubs start at once.
        if (!(await store.addMember(channelId, who.id))) continue;
        const env = createEnvelope({ type: 'channel.member.join', from: who.id, to: `channel:${channelId}`, payload: { channelId, member, role: 'member' } });
        await store.append(channelId, JSON.stringify(env));
      }
    }
  }

  async function beat(): Promise<void> {
    const now = Date.now();
    const live = [...ctx.sessions].filter((s) => s.heartbeat() && s.userId !== undefined);
    await store.refreshSessions(live.map((s) => ({ userId: s.userId as string, sessionId: s.id })), now);
    const users = new Map<string, { channels: readonly string[]; status: 'online' | 'away' }>();
    for (const s of live) {
      const u = users.get(s.userId as string);
      users.set(s.userId as string, { channels: s.channels, status: u?.status === 'online' ? 'online' : s.status });
    }
    await Promise.all([...users].map(([userId, u]) => store.setPresence(u.channels, userId, { status: u.status, lastSeenAt: now })));
    if (metrics) reportOnline(users);
  }

  /** Participants online on this hub, by kind (each hub reports its own; sum them across hubs). */
  function reportOnline(users: ReadonlyMap<string, { status: 'online' | 'away' }>): void {
    const online = { human: 0, agent: 0 };
    for (const [userId, u] of users) if (u.status === 'online') online[kindOf.get(userId) === 'agent' ? 'agent' : 'human']++;
    metrics?.chat.setOnline(online.human, 'human');
    metrics?.chat.setOnline(online.agent, 'agent');
  }

  return {
    get url() {
      return url;
    },
    hubId: o.hubId,
    transport,
    sessions: () => ctx.sessions.size,

    async listen(port = o.port) {
      if (state !== 'new') throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, `chat hub ${o.hubId}: listen() called twice or after close()`);
      state = 'listening';
      if (auth.identities().length === 0) {
        o.log(`chat-hub ${o.hubId}: no tokens configured, so nobody can connect: pass tokens (CHAT_TOKENS / CHAT_TOKENS_FILE), or createDemoSetup() for a demo`);
      }
      await seed();
      http.server.on('upgrade', onUpgrade);
      await http.listen({ host: o.host, port });
      const address = http.server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      url = `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${bound}`;
      heartbeat = setInterval(() => {
        beat().catch((error: unknown) => o.log(`chat-hub ${o.hubId}: heartbeat: ${(error as Error).message}`));
      }, o.heartbeatMs);
      heartbeat.unref();
      return url;
    },

    async close() {
      if (state === 'closing' || state === 'closed') return;
      state = 'closing';
      clearInterval(heartbeat);
      await Promise.all([...connections].map((s) => s.close(1001, 'hub shutting down')));
      wss.close();
      await http.close();
      await store.close();
      if (ownTransport) await transport.close();
      state = 'closed';
    },
  };
}
