import type { Redis, Result as IoResult } from 'ioredis';
import { AgentbusError, ERROR_CODES } from '@agentbus/schema';
import { defineScripts, toAgentbusError, type Transport } from '@agentbus/transport';
import { ANNOUNCEMENTS_ID, compareSeq } from '../ids';
import { eventFrameText, profileSchema, type Profile, type TypingView } from '../protocol/server-frames';
import appendLua from './append.lua';
import changeMessageLua from './change-message.lua';
import { createChatKeys } from './chat-keys';
import {
  AUTHOR_TTL_SECONDS,
  type ChangeOutcome,
  type ChannelInfo,
  type ChatStore,
  type ChatStoreOptions,
  type FrameHandler,
  type HistoryAfter,
  type MessageChange,
  type PresenceEntry,
  type PubSubTarget,
  type SubscriptionWatcher,
} from './chat-store';
import openSessionLua from './open-session.lua';
import { decodePresence, decodeTyping, encodeTyping } from './store-codecs';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /**
     * append.lua: the new event's seq. Keys: stream, recent, authors, entries, then the
     * participants' sets of direct conversations; args: env, recentLimit, maxLen, messageId,
     * authorId, recordTtlSeconds, conversationId, then the Pub/Sub channels.
     */
    agentbus_chat_append_v3(numberOfKeys: number, ...keysAndArgs: (string | number)[]): IoResult<string, Context>;
    /**
     * change-message.lua: the event's seq, 0 (no such message) or -1 (not its author). Keys:
     * stream, recent, authors, entries; args: env, recentLimit, maxLen, messageId, userId,
     * 'edit' | 'delete', recordTtlSeconds, Pub/Sub channel.
     */
    agentbus_chat_change_message_v1(
      stream: string,
      recent: string,
      authors: string,
      entries: string,
      ...args: (string | number)[]
    ): IoResult<string | number, Context>;
    /** open-session.lua: [1, live] registered or [0, live] refused. Key: sessions; args: sessionId, now, ttlMs, maxSessions. */
    agentbus_chat_open_session_v1(sessions: string, sessionId: string, now: number, ttlMs: number, max: number): IoResult<[number, number], Context>;
  }
}

type StreamEntry = [id: string, fields: string[]];

function frameOf([id, fields]: StreamEntry): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'env') return eventFrameText(fields[i + 1] as string, id);
  }
  return undefined;
}

function framesOf(entries: StreamEntry[]): string[] {
  const out: string[] = [];
  for (const e of entries) {
    const f = frameOf(e);
    if (f !== undefined) out.push(f);
  }
  return out;
}

async function wrap<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (error) {
    throw toAgentbusError(error);
  }
}

/**
 * The chat store on Redis, through the transport's connection (so the namespace and connection
 * settings are the transport's), plus one subscriber connection of its own for Pub/Sub.
 */
export function createRedisChatStore(transport: Transport, options: ChatStoreOptions): ChatStore {
  const client = transport.redis;
  if (!client || !('duplicate' in client) || transport.capabilities.cluster) {
    throw new AgentbusError(
      ERROR_CODES.INVALID_ARGUMENT,
      'the Redis chat store needs a standalone or Sentinel Redis transport (REDIS_URL); Redis Cluster is not supported by the chat hub yet',
    );
  }
  const redis = client as Redis;
  defineScripts(redis, {
    // The number of keys is the first argument: a direct message also adds to its participants' sets.
    agentbus_chat_append_v3: { lua: appendLua },
    agentbus_chat_change_message_v1: { lua: changeMessageLua, numberOfKeys: 4 },
    agentbus_chat_open_session_v1: { lua: openSessionLua, numberOfKeys: 1 },
  });
  const keys = createChatKeys(transport.keys);
  const handlers = new Map<string, FrameHandler>();
  let subscriber: Redis | undefined;
  let watcher: SubscriptionWatcher | undefined;
  let closed = false;

  const sub = (): Redis => {
    if (!subscriber) {
      const s = redis.duplicate({
        enableAutoPipelining: false,
        ...(options.subscriberName === undefined ? {} : { connectionName: options.subscriberName }),
      });
      subscriber = s;
      // Errors surface as failed SUBSCRIBE calls; ioredis reconnects and resubscribes by itself.
      s.on('error', () => undefined);
      s.on('messageBuffer', (channel: Buffer, message: Buffer) => {
        handlers.get(channel.toString())?.(message);
      });
      watchConnection(s);
    }
    return subscriber;
  };

  /**
   * ioredis resubscribes after a reconnect, but whatever was published while the connection was
   * down is gone: the watcher is told, and told again once Redis confirmed every subscription, so
   * it reads the gap from the streams only when nothing more can slip between.
   */
  function watchConnection(s: Redis): void {
    let state: 'connecting' | 'live' | 'lost' = 'connecting';
    s.on('close', () => {
      if (state !== 'live' || closed) return;
      state = 'lost';
      watcher?.lost();
    });
    s.on('ready', () => {
      const wasLost = state === 'lost';
      state = 'live';
      if (!wasLost) return;
      const channels = [...handlers.keys()];
      // Redis answers in order, so this reply comes after those of ioredis's own resubscribe.
      (channels.length ? s.subscribe(...channels) : s.ping()).then(
        () => {
          if (state === 'live' && !closed) watcher?.resumed();
        },
        // The connection dropped again: its next 'ready' resumes.
        () => undefined,
      );
    });
  }

  const infoFields = (c: ChannelInfo): Record<string, string> => ({
    name: c.name,
    topic: c.topic,
    description: c.description,
    private: c.private ? '1' : '0',
    archived: c.archived ? '1' : '0',
    createdAt: String(c.createdAt),
  });

  return {
    backend: 'redis',

    async ensureChannel(channel) {
      const p = redis.pipeline();
      for (const [field, value] of Object.entries(infoFields(channel))) p.hsetnx(keys.info(channel.id), field, value);
      p.sadd(keys.channels, channel.id);
      const results = await wrap(p.exec());
      const failed = results?.find(([e]) => e);
      if (failed?.[0]) throw toAgentbusError(failed[0]);
    },

    async channelInfo(channelId) {
      const h = await wrap(redis.hgetall(keys.info(channelId)));
      if (h.name === undefined) return undefined;
      return {
        id: channelId,
        name: h.name,
        topic: h.topic ?? '',
        description: h.description ?? '',
        private: h.private === '1',
        archived: h.archived === '1',
        createdAt: Number(h.createdAt ?? 0),
      };
    },

    async updateChannel(channelId, patch) {
      const fields: Record<string, string> = {};
      for (const [k, v] of Object.entries(patch)) {
        if (v !== undefined) fields[k] = typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
      }
      if (Object.keys(fields).length) await wrap(redis.hset(keys.info(channelId), fields));
    },

    async saveProfile(profile) {
      await wrap(redis.hset(keys.profiles, profile.id, JSON.stringify(profile)));
    },

    async profiles(userIds) {
      if (userIds.length === 0) return [];
      const values = await wrap(redis.hmget(keys.profiles, ...userIds));
      const out: Profile[] = [];
      for (const v of values) {
        if (v === null) continue;
        // Redis is shared: a value another writer broke is skipped, not fatal to the member list.
        let value: unknown;
        try {
          value = JSON.parse(v);
        } catch {
          continue;
        }
        const parsed = profileSchema.safeParse(value);
        if (parsed.success) out.push(parsed.data);
      }
      return out;
    },

    async addMember(channelId, userId) {
      return (await wrap(redis.sadd(keys.members(channelId), userId))) === 1;
    },

    members: (channelId) => wrap(redis.smembers(keys.members(channelId))),

    async presence(channelId) {
      const h = await wrap(redis.hgetall(keys.presence(channelId)));
      const out = new Map<string, PresenceEntry>();
      for (const [userId, value] of Object.entries(h)) {
        const entry = decodePresence(value, Date.now(), options.presenceTtlMs);
        if (entry) out.set(userId, entry);
      }
      return out;
    },

    async setPresence(channelIds, userId, entry) {
      if (channelIds.length === 0) return;
      const value = JSON.stringify(entry);
      const p = redis.pipeline();
      for (const id of channelIds) {
        p.hset(keys.presence(id), userId, value);
        p.pexpire(keys.presence(id), options.presenceTtlMs);
      }
      await wrap(p.exec());
    },

    async openSession(userId, sessionId, now, maxSessions) {
      const [opened, live] = await wrap(redis.agentbus_chat_open_session_v1(keys.sessions(userId), sessionId, now, options.presenceTtlMs, maxSessions));
      return { opened: opened === 1, live };
    },

    async closeSession(userId, sessionId, now) {
      const key = keys.sessions(userId);
      const r = await wrap(redis.multi().hdel(key, sessionId).hgetall(key).exec());
      return liveSessions(key, (r?.[1]?.[1] ?? {}) as Record<string, string>, now);
    },

    async refreshSessions(sessions, now) {
      if (sessions.length === 0) return;
      const p = redis.pipeline();
      for (const s of sessions) {
        p.hset(keys.sessions(s.userId), s.sessionId, now);
        p.pexpire(keys.sessions(s.userId), options.presenceTtlMs);
      }
      await wrap(p.exec());
    },

    async typing(channelId, now) {
      const key = keys.typing(channelId);
      const r = await wrap(redis.multi().zremrangebyscore(key, '-inf', String(now)).zrange(key, '0', '-1').exec());
      return ((r?.[1]?.[1] ?? []) as string[]).map(decodeTyping);
    },

    async setTyping(channelId, entry: TypingView, typing, now) {
      const key = keys.typing(channelId);
      const member = encodeTyping(entry);
      if (typing) {
        await wrap(
          redis
            .multi()
            .zadd(key, now + options.typingTtlMs, member)
            .zremrangebyscore(key, '-inf', String(now))
            .pexpire(key, options.typingTtlMs * 2)
            .exec(),
        );
      } else {
        await wrap(redis.zrem(key, member));
      }
    },

    append(channelId, envJson, author) {
      return appendTo(channelId, envJson, author, [], [keys.pubsub({ kind: 'channel', id: channelId })]);
    },

    appendDirect(conversationId, participants, envJson, author) {
      const users = [...new Set(participants)];
      return appendTo(
        conversationId,
        envJson,
        author,
        users.map((u) => keys.directs(u)),
        users.map((u) => keys.pubsub({ kind: 'agent', id: u })),
      );
    },

    appendAnnouncement(envJson) {
      return appendTo(ANNOUNCEMENTS_ID, envJson, undefined, [], [keys.pubsub({ kind: 'global' })]);
    },

    editMessage(channelId, envJson, change) {
      return changeMessage(channelId, envJson, change, 'edit');
    },

    deleteMessage(channelId, envJson, change) {
      return changeMessage(channelId, envJson, change, 'delete');
    },

    directConversations: (userId) => wrap(redis.smembers(keys.directs(userId))),

    async authorOf(channelId, messageId) {
      return (await wrap(redis.hget(keys.authors(channelId), messageId))) ?? undefined;
    },

    async openThread(channelId, threadId) {
      const key = keys.threads(channelId);
      const r = await wrap(redis.multi().sadd(key, threadId).expire(key, AUTHOR_TTL_SECONDS).exec());
      return r?.[0]?.[1] === 1;
    },

    async recent(channelId) {
      return (await wrap(redis.lrange(keys.recent(channelId), 0, -1))).reverse();
    },

    async after(channelId, seq, count): Promise<HistoryAfter> {
      const key = keys.stream(channelId);
      const [entries, first] = await Promise.all([
        wrap(redis.xrange(key, `(${seq}`, '+', 'COUNT', count) as Promise<StreamEntry[]>),
        wrap(redis.xrange(key, '-', '+', 'COUNT', 1) as Promise<StreamEntry[]>),
      ]);
      const firstId = first[0]?.[0];
      return { frames: framesOf(entries), trimmed: firstId !== undefined && compareSeq(seq, firstId) < 0 };
    },

    async before(channelId, seq, count) {
      const entries = (await wrap(redis.xrevrange(keys.stream(channelId), `(${seq}`, '-', 'COUNT', count))) as StreamEntry[];
      return framesOf(entries).reverse();
    },

    async lastSeq(channelId) {
      const entries = (await wrap(redis.xrevrange(keys.stream(channelId), '+', '-', 'COUNT', 1))) as StreamEntry[];
      return entries[0]?.[0] ?? null;
    },

    async publish(target, frame) {
      await wrap(redis.publish(keys.pubsub(target), frame));
    },

    async subscribe(target: PubSubTarget, handler) {
      const channel = keys.pubsub(target);
      handlers.set(channel, handler);
      await wrap(sub().subscribe(channel));
    },

    watchSubscriptions(w) {
      watcher = w;
    },

    async unsubscribe(target) {
      const channel = keys.pubsub(target);
      handlers.delete(channel);
      if (subscriber && !closed) await wrap(subscriber.unsubscribe(channel));
    },

    async close() {
      if (closed) return;
      closed = true;
      handlers.clear();
      if (subscriber) {
        const s = subscriber;
        subscriber = undefined;
        await s.quit().catch(() => s.disconnect());
      }
    },
  };

  function appendTo(
    conversationId: string,
    envJson: string,
    author: { messageId: string; userId: string } | undefined,
    indexKeys: string[],
    channels: string[],
  ): Promise<string> {
    return wrap(
      redis.agentbus_chat_append_v3(
        4 + indexKeys.length,
        keys.stream(conversationId),
        keys.recent(conversationId),
        keys.authors(conversationId),
        keys.entries(conversationId),
        ...indexKeys,
        envJson,
        options.recentLimit,
        options.historyMaxLen,
        author?.messageId ?? '',
        author?.userId ?? '',
        AUTHOR_TTL_SECONDS,
        conversationId,
        ...channels,
      ),
    );
  }

  async function changeMessage(channelId: string, envJson: string, change: MessageChange, kind: 'edit' | 'delete'): Promise<ChangeOutcome> {
    const r = await wrap(
      redis.agentbus_chat_change_message_v1(
        keys.stream(channelId),
        keys.recent(channelId),
        keys.authors(channelId),
        keys.entries(channelId),
        envJson,
        options.recentLimit,
        options.historyMaxLen,
        change.messageId,
        change.userId,
        kind,
        AUTHOR_TTL_SECONDS,
        keys.pubsub({ kind: 'channel', id: channelId }),
      ),
    );
    if (typeof r === 'string') return { seq: r };
    return { refused: r === -1 ? 'forbidden' : 'not_found' };
  }

  function liveSessions(key: string, sessions: Record<string, string>, now: number): number {
    let live = 0;
    const stale: string[] = [];
    for (const [id, at] of Object.entries(sessions)) {
      if (now - Number(at) < options.presenceTtlMs) live++;
      else stale.push(id);
    }
    // Sessions of a hub that died without closing them; their TTL would not run out while others heartbeat.
    if (stale.length) void redis.hdel(key, ...stale).catch(() => undefined);
    return live;
  }
}
