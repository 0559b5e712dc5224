import type { KeyBuilder } from '@agentbus/schema';
import { ANNOUNCEMENTS_ID, directParticipants } from '../ids';
import type { PubSubTarget } from './chat-store';

/**
 * Every Redis key and Pub/Sub channel of the chat hub, built by the namespace's key builder.
 * The history keys (`stream`, `recent`, `authors`, ...) take a channel id, a direct conversation
 * id `dm:a:b` or `ANNOUNCEMENTS_ID`: a channel's are `ns:chat:channel:{id}:{kind}`, a
 * conversation's `ns:chat:dm:{a}:{b}:{kind}`, the announcements' `ns:chat:announcements:{kind}`
 * (channel ids have no colon, so none of them meet).
 */
export interface ChatKeys {
  /** Set of channel ids. */
  channels: string;
  /** Hash userId -> profile JSON. */
  profiles: string;
  /** Hash of one channel's settings. */
  info(channelId: string): string;
  members(channelId: string): string;
  stream(channelId: string): string;
  recent(channelId: string): string;
  authors(channelId: string): string;
  /** Hash messageId -> the seqs of the message and its edits: the stream entries a delete removes. */
  entries(channelId: string): string;
  threads(channelId: string): string;
  presence(channelId: string): string;
  typing(channelId: string): string;
  /** Set of the direct conversation ids (`dm:a:b`) a user has. */
  directs(userId: string): string;
  /** Hash sessionId -> last heartbeat of one user's sessions on every hub. */
  sessions(userId: string): string;
  /** The Pub/Sub channel: `ns:pubsub:channel:{id}`, `ns:pubsub:global`, `ns:pubsub:agent:{id}`. */
  pubsub(target: PubSubTarget): string;
}

export function createChatKeys(keys: KeyBuilder): ChatKeys {
  const channel = (id: string, kind: string) => {
    if (id === ANNOUNCEMENTS_ID) return keys.key('chat', 'announcements', kind);
    const dm = directParticipants(id);
    return dm ? keys.key('chat', 'dm', dm[0], dm[1], kind) : keys.key('chat', 'channel', id, kind);
  };
  return {
    channels: keys.key('chat', 'channels'),
    profiles: keys.key('chat', 'profiles'),
    info: (id) => channel(id, 'info'),
    members: (id) => channel(id, 'members'),
    stream: (id) => channel(id, 'stream'),
    recent: (id) => channel(id, 'recent'),
    authors: (id) => channel(id, 'authors'),
    entries: (id) => channel(id, 'entries'),
    threads: (id) => channel(id, 'threads'),
    presence: (id) => channel(id, 'presence'),
    typing: (id) => channel(id, 'typing'),
    directs: (userId) => keys.key('chat', 'user', userId, 'directs'),
    sessions: (userId) => keys.key('chat', 'sessions', userId),
    pubsub: (target) =>
      target.kind === 'global' ? keys.channel('global') : keys.channel(`${target.kind}:${target.id}`),
  };
}
