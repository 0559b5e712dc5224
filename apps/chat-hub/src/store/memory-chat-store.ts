import type { Transport } from '@agentbus/transport';
import { ANNOUNCEMENTS_ID, compareSeq } from '../ids';
import { eventFrameText, type Profile } from '../protocol/server-frames';
import { seqOf } from '../protocol/frame-text';
import { createChatKeys } from './chat-keys';
import type { ChangeOutcome, ChannelInfo, ChatStore, ChatStoreOptions, FrameHandler, MessageChange, PresenceEntry } from './chat-store';
import { decodeTyping, encodeTyping } from './store-codecs';

interface MemoryStream {
  entries: { seq: string; env: string }[];
  lastMs: number;
  lastN: number;
}

/** What the hubs of one process share on the memory backend: the twin of the Redis keys. */
interface MemoryChatState {
  channels: Map<string, ChannelInfo>;
  profiles: Map<string, Profile>;
  members: Map<string, Set<string>>;
  presence: Map<string, Map<string, PresenceEntry>>;
  sessions: Map<string, Map<string, number>>;
  typing: Map<string, Map<string, number>>;
  streams: Map<string, MemoryStream>;
  /** Newest last. */
  recent: Map<string, string[]>;
  authors: Map<string, Map<string, string>>;
  /** conversation -> messageId -> the seqs of the message and its edits (what a delete removes). */
  entries: Map<string, Map<string, string[]>>;
  threads: Map<string, Set<string>>;
  /** userId -> direct conversation ids. */
  directs: Map<string, Set<string>>;
  subscribers: Map<string, Set<FrameHandler>>;
}

/** Per transport, as the memory transport keeps its streams per transport. */
const states = new WeakMap<Transport, MemoryChatState>();

function stateOf(transport: Transport): MemoryChatState {
  let s = states.get(transport);
  if (!s) {
    s = {
      channels: new Map(),
      profiles: new Map(),
      members: new Map(),
      presence: new Map(),
      sessions: new Map(),
      typing: new Map(),
      streams: new Map(),
      recent: new Map(),
      authors: new Map(),
      entries: new Map(),
      threads: new Map(),
      directs: new Map(),
      subscribers: new Map(),
    };
    states.set(transport, s);
  }
  return s;
}

function bucket<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let v = map.get(key);
  if (v === undefined) {
    v = make();
    map.set(key, v);
  }
  return v;
}

/**
 * The chat store in process memory, for the embedded default (`npm start` without REDIS_URL)
 * and for tests: the same behaviour as Redis, including Pub/Sub between hubs created on the
 * same transport. Delivery is asynchronous (a microtask), as it is over Redis.
 */
export function createMemoryChatStore(transport: Transport, options: ChatStoreOptions): ChatStore {
  const state = stateOf(transport);
  const keys = createChatKeys(transport.keys);
  const mine = new Map<string, FrameHandler>();

  const publishRaw = (channel: string, frame: string) => {
    const subs = state.subscribers.get(channel);
    if (!subs) return;
    for (const h of subs) queueMicrotask(() => h(frame));
  };

  const liveSessions = (userId: string, now: number): number => {
    const sessions = state.sessions.get(userId);
    if (!sessions) return 0;
    for (const [id, at] of sessions) if (now - at >= options.presenceTtlMs) sessions.delete(id);
    return sessions.size;
  };

  const typingSet = (channelId: string, now: number) => {
    const set = bucket(state.typing, channelId, () => new Map<string, number>());
    for (const [m, expiresAt] of set) if (expiresAt <= now) set.delete(m);
    return set;
  };

  const framesOf = (entries: { seq: string; env: string }[]) => entries.map((e) => eventFrameText(e.env, e.seq));

  /** Appends to a conversation's history and publishes the event frame on each of `channels`. */
  const appendTo = (channelId: string, envJson: string, author: { messageId: string; userId: string } | undefined, channels: string[]): string => {
    const stream = bucket(state.streams, channelId, () => ({ entries: [], lastMs: 0, lastN: 0 }));
    const now = Date.now();
    // Redis's id rule: time, and a counter within the same millisecond (or a clock step back).
    if (now > stream.lastMs) {
      stream.lastMs = now;
      stream.lastN = 0;
    } else {
      stream.lastN++;
    }
    const seq = `${stream.lastMs}-${stream.lastN}`;
    stream.entries.push({ seq, env: envJson });
    if (stream.entries.length > options.historyMaxLen) stream.entries.splice(0, stream.entries.length - options.historyMaxLen);
    const frame = eventFrameText(envJson, seq);
    const recent = bucket(state.recent, channelId, () => []);
    recent.push(frame);
    if (recent.length > options.recentLimit) recent.splice(0, recent.length - options.recentLimit);
    if (author) {
      bucket(state.authors, channelId, () => new Map()).set(author.messageId, author.userId);
      bucket(state.entries, channelId, () => new Map()).set(author.messageId, [seq]);
    }
    for (const channel of channels) publishRaw(channel, frame);
    return seq;
  };

  /** change-message.lua's twin: the author check, then an edit, or a delete that takes the text out of what is kept. */
  const changeMessage = (channelId: string, envJson: string, change: MessageChange, kind: 'edit' | 'delete'): ChangeOutcome => {
    const author = state.authors.get(channelId)?.get(change.messageId);
    if (author === undefined) return { refused: 'not_found' };
    if (author !== change.userId) return { refused: 'forbidden' };
    const entries = bucket(state.entries, channelId, () => new Map<string, string[]>());
    if (kind === 'delete') {
      const gone = new Set(entries.get(change.messageId) ?? []);
      const stream = state.streams.get(channelId);
      if (stream) stream.entries = stream.entries.filter((e) => !gone.has(e.seq));
      const recent = state.recent.get(channelId);
      if (recent) state.recent.set(channelId, recent.filter((f) => !gone.has(seqOf(f) ?? '')));
      state.authors.get(channelId)?.delete(change.messageId);
      entries.delete(change.messageId);
    }
    const seq = appendTo(channelId, envJson, undefined, [keys.pubsub({ kind: 'channel', id: channelId })]);
    if (kind === 'edit') entries.get(change.messageId)?.push(seq);
    return { seq };
  };

  return {
    backend: 'memory',

    async ensureChannel(channel) {
      if (!state.channels.has(channel.id)) state.channels.set(channel.id, { ...channel });
    },

    async channelInfo(channelId) {
      const c = state.channels.get(channelId);
      return c && { ...c };
    },

    async updateChannel(channelId, patch) {
      const c = state.channels.get(channelId);
      if (!c) return;
      for (const [k, v] of Object.entries(patch)) if (v !== undefined) Object.assign(c, { [k]: v });
    },

    async saveProfile(profile) {
      state.profiles.set(profile.id, { ...profile });
    },

    async profiles(userIds) {
      const out: Profile[] = [];
      for (const id of userIds) {
        const p = state.profiles.get(id);
        if (p) out.push({ ...p });
      }
      return out;
    },

    async addMember(channelId, userId) {
      const set = bucket(state.members, channelId, () => new Set<string>());
      if (set.has(userId)) return false;
      set.add(userId);
      return true;
    },

    async members(channelId) {
      return [...(state.members.get(channelId) ?? [])];
    },

    async presence(channelId) {
      const now = Date.now();
      const out = new Map<string, PresenceEntry>();
      for (const [userId, e] of state.presence.get(channelId) ?? []) {
        out.set(userId, now - e.lastSeenAt >= options.presenceTtlMs ? { status: 'offline', lastSeenAt: e.lastSeenAt } : { ...e });
      }
      return out;
    },

    async setPresence(channelIds, userId, entry) {
      for (const id of channelIds) bucket(state.presence, id, () => new Map()).set(userId, { ...entry });
    },

    async openSession(userId, sessionId, now, maxSessions) {
      const live = liveSessions(userId, now);
      if (live >= maxSessions) return { opened: false, live };
      bucket(state.sessions, userId, () => new Map<string, number>()).set(sessionId, now);
      return { opened: true, live: live + 1 };
    },

    async closeSession(userId, sessionId, now) {
      state.sessions.get(userId)?.delete(sessionId);
      return liveSessions(userId, now);
    },

    async refreshSessions(sessions, now) {
      for (const s of sessions) bucket(state.sessions, s.userId, () => new Map<string, number>()).set(s.sessionId, now);
    },

    async typing(channelId, now) {
      return [...typingSet(channelId, now).keys()].map(decodeTyping);
    },

    async setTyping(channelId, entry, typing, now) {
      const set = typingSet(channelId, now);
      if (typing) set.set(encodeTyping(entry), now + options.typingTtlMs);
      else set.delete(encodeTyping(entry));
    },

    async append(channelId, envJson, author) {
      return appendTo(channelId, envJson, author, [keys.pubsub({ kind: 'channel', id: channelId })]);
    },

    async appendDirect(conversationId, participants, envJson, author) {
      const users = [...new Set(participants)];
      for (const u of users) bucket(state.directs, u, () => new Set<string>()).add(conversationId);
      return appendTo(conversationId, envJson, author, users.map((u) => keys.pubsub({ kind: 'agent', id: u })));
    },

    async appendAnnouncement(envJson) {
      return appendTo(ANNOUNCEMENTS_ID, envJson, undefined, [keys.pubsub({ kind: 'global' })]);
    },

    async editMessage(channelId, envJson, change) {
      return changeMessage(channelId, envJson, change, 'edit');
    },

    async deleteMessage(channelId, envJson, change) {
      return changeMessage(channelId, envJson, change, 'delete');
    },

    async directConversations(userId) {
      return [...(state.directs.get(userId) ?? [])];
    },

    async authorOf(channelId, messageId) {
      return state.authors.get(channelId)?.get(messageId);
    },

    async openThread(channelId, threadId) {
      const set = bucket(state.threads, channelId, () => new Set<string>());
      if (set.has(threadId)) return false;
      set.add(threadId);
      return true;
    },

    async recent(channelId) {
      return [...(state.recent.get(channelId) ?? [])];
    },

    async after(channelId, seq, count) {
      const entries = state.streams.get(channelId)?.entries ?? [];
      const first = entries[0];
      const from = entries.findIndex((e) => compareSeq(e.seq, seq) > 0);
      return {
        frames: from < 0 ? [] : framesOf(entries.slice(from, from + count)),
        trimmed: first !== undefined && compareSeq(seq, first.seq) < 0,
      };
    },

    async before(channelId, seq, count) {
      const entries = state.streams.get(channelId)?.entries ?? [];
      let end = entries.length;
      while (end > 0 && compareSeq((entries[end - 1] as { seq: string }).seq, seq) >= 0) end--;
      return framesOf(entries.slice(Math.max(0, end - count), end));
    },

    async lastSeq(channelId) {
      const entries = state.streams.get(channelId)?.entries;
      return entries?.[entries.length - 1]?.seq ?? null;
    },

    async publish(target, frame) {
      publishRaw(keys.pubsub(target), frame);
    },

    async subscribe(target, handler) {
      const channel = keys.pubsub(target);
      const previous = mine.get(channel);
      const subs = bucket(state.subscribers, channel, () => new Set<FrameHandler>());
      if (previous) subs.delete(previous);
      subs.add(handler);
      mine.set(channel, handler);
    },

    async unsubscribe(target) {
      const channel = keys.pubsub(target);
      const h = mine.get(channel);
      if (!h) return;
      mine.delete(channel);
      const subs = state.subscribers.get(channel);
      subs?.delete(h);
      if (subs?.size === 0) state.subscribers.delete(channel);
    },

    // One process, no connection to lose.
    watchSubscriptions() {},

    async close() {
      for (const [channel, h] of mine) state.subscribers.get(channel)?.delete(h);
      mine.clear();
    },
  };
}
