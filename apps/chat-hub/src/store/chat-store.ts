import type { PresenceStatus } from '@agentbus/schema';
import type { Profile, TypingView } from '../protocol/server-frames';

/** Where a Pub/Sub frame goes: one channel's members, everyone, or one user's sessions. */
export type PubSubTarget = { kind: 'channel'; id: string } | { kind: 'global' } | { kind: 'agent'; id: string };

/** A frame as it arrived: Redis hands over bytes, the memory store the string. Sent to sockets as text either way. */
export type FrameHandler = (frame: string | Buffer) => void;

export interface ChannelInfo {
  id: string;
  name: string;
  topic: string;
  description: string;
  private: boolean;
  archived: boolean;
  createdAt: number;
}

export interface PresenceEntry {
  status: PresenceStatus;
  /** ms since epoch of the last heartbeat or change. */
  lastSeenAt: number;
}

export interface ChatStoreOptions {
  /** Presence entries and sessions not refreshed for this long count as offline (ms). */
  presenceTtlMs: number;
  /** A typing entry not refreshed for this long is gone (ms). */
  typingTtlMs: number;
  /** Events kept in each channel's (and direct conversation's) recent-message cache. */
  recentLimit: number;
  /** About this many events kept in each channel's stream (XADD MAXLEN ~). */
  historyMaxLen: number;
}

/** The page of history after a seq. */
export interface HistoryAfter {
  /** Event frames, oldest first. */
  frames: string[];
  /** The channel's oldest kept event is newer than the seq asked after: something may have been trimmed. */
  trimmed: boolean;
}

/**
 * The chat hub's shared state: channels, members, presence, typing, history and Pub/Sub. Redis
 * (every hub of a deployment shares it) and memory (hubs of one process share it) implement it
 * alike. Every history event is an event frame text (`{"type":"event","seq":..,"env":..}`), so
 * hubs forward it to sockets without parsing it.
 */
export interface ChatStore {
  readonly backend: 'redis' | 'memory';
  /** Creates the channel if it does not exist; an existing channel keeps its settings. */
  ensureChannel(channel: ChannelInfo): Promise<void>;
  channelInfo(channelId: string): Promise<ChannelInfo | undefined>;
  updateChannel(channelId: string, patch: Partial<Pick<ChannelInfo, 'name' | 'topic' | 'description' | 'archived'>>): Promise<void>;
  saveProfile(profile: Profile): Promise<void>;
  /** The profiles of these users that exist, in no particular order. */
  profiles(userIds: readonly string[]): Promise<Profile[]>;
  /** Adds a member; true when they were not one before. */
  addMember(channelId: string, userId: string): Promise<boolean>;
  members(channelId: string): Promise<string[]>;
  presence(channelId: string): Promise<Map<string, PresenceEntry>>;
  /** Writes a user's presence in each channel and refreshes the channels' presence TTL. */
  setPresence(channelIds: readonly string[], userId: string, entry: PresenceEntry): Promise<void>;
  /** Registers a session of the user (on any hub); returns how many live sessions they have now. */
  openSession(userId: string, sessionId: string, now: number): Promise<number>;
  /** Removes a session; returns how many live sessions the user still has (0: offline). */
  closeSession(userId: string, sessionId: string, now: number): Promise<number>;
  /** The heartbeat: keeps these sessions live for another presence TTL. */
  refreshSessions(sessions: readonly { userId: string; sessionId: string }[], now: number): Promise<void>;
  typing(channelId: string, now: number): Promise<TypingView[]>;
  setTyping(channelId: string, entry: TypingView, typing: boolean, now: number): Promise<void>;
  /**
   * Appends an event to the channel's history (stream and recent cache) and publishes it to the
   * channel in the same atomic step, so every hub sees a channel's events in history order.
   * Returns its seq. `author` records who wrote a new message, for edit and delete checks.
   */
  append(channelId: string, envJson: string, author?: { messageId: string; userId: string }): Promise<string>;
  /**
   * A direct message: appended to the conversation's history (`dm:a:b`, kept as a channel's),
   * recorded in each participant's set of conversations and published to each participant
   * (`agent` target), in one atomic step. Returns its seq.
   */
  appendDirect(conversationId: string, participants: readonly string[], envJson: string, author: { messageId: string; userId: string }): Promise<string>;
  /**
   * A hub-wide announcement: appended to the announcements' history (`ANNOUNCEMENTS_ID`, kept as
   * a channel's) and published on the global target, in one atomic step. Returns its seq.
   */
  appendAnnouncement(envJson: string): Promise<string>;
  /** The direct conversation ids a user has (kept as long as channels are: no TTL), in no particular order. */
  directConversations(userId: string): Promise<string[]>;
  authorOf(channelId: string, messageId: string): Promise<string | undefined>;
  /** Marks a thread as started; true the first time. */
  openThread(channelId: string, threadId: string): Promise<boolean>;
  /** The recent-message cache, oldest first. */
  recent(channelId: string): Promise<string[]>;
  /** Up to `count` events after `seq`, oldest first. */
  after(channelId: string, seq: string, count: number): Promise<HistoryAfter>;
  /** Up to `count` events before `seq`, oldest first. */
  before(channelId: string, seq: string, count: number): Promise<string[]>;
  lastSeq(channelId: string): Promise<string | null>;
  publish(target: PubSubTarget, frame: string): Promise<void>;
  /** One handler per target per store; resolves once frames flow. */
  subscribe(target: PubSubTarget, handler: FrameHandler): Promise<void>;
  unsubscribe(target: PubSubTarget): Promise<void>;
  close(): Promise<void>;
}

/** How long message authors and thread markers are kept: edits and deletes work for this long. */
export const AUTHOR_TTL_SECONDS = 30 * 24 * 60 * 60;
