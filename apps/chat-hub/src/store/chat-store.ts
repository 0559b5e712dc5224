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
  /** Names the Redis Pub/Sub connection (CLIENT SETNAME), so an operator can find it in CLIENT LIST. Default none. */
  subscriberName?: string;
}

/** Who edits or deletes a message: the store checks, in the same atomic step, that they wrote it. */
export interface MessageChange {
  messageId: string;
  userId: string;
}

/** What an edit or delete came to: the seq of its event, or why nothing was written. */
export type ChangeOutcome =
  | { seq: string }
  /** `not_found`: no such message (never written, deleted, or past AUTHOR_TTL_SECONDS); `forbidden`: not its author. */
  | { refused: 'not_found' | 'forbidden' };

/** A session registered, or refused because the user is at the most live sessions allowed. */
export interface OpenedSession {
  opened: boolean;
  /** The user's live sessions on every hub (including this one when opened). */
  live: number;
}

/**
 * Told when the store's Pub/Sub connection drops and when it is back. Frames published between
 * `lost` and `resumed` never arrive: the listener reads them from the streams instead.
 */
export interface SubscriptionWatcher {
  /** The connection dropped: frames published from now on may be missed until `resumed`. */
  lost(): void;
  /** Every subscription is live again (confirmed by Redis): frames flow from here on. */
  resumed(): void;
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
  /**
   * Registers a session of the user (on any hub) unless they already have `maxSessions` live ones,
   * counted and registered in one atomic step across hubs.
   */
  openSession(userId: string, sessionId: string, now: number, maxSessions: number): Promise<OpenedSession>;
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
  /**
   * Appends an edit of a kept message, atomically with the check that it still exists and that
   * `change.userId` wrote it; published like `append`.
   */
  editMessage(channelId: string, envJson: string, change: MessageChange): Promise<ChangeOutcome>;
  /**
   * Deletes a kept message by its author, atomically: its entry and its edits' entries leave the
   * stream and the recent cache, and the delete event is appended (and published) as the tombstone
   * history serves instead. After it, edits, reactions and replies to the message are `not_found`.
   */
  deleteMessage(channelId: string, envJson: string, change: MessageChange): Promise<ChangeOutcome>;
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
  /** One watcher per store (a later call replaces it). The memory store never drops, so it never calls it. */
  watchSubscriptions(watcher: SubscriptionWatcher): void;
  close(): Promise<void>;
}

/** How long message authors, their stream entries and thread markers are kept: edits and deletes work for this long. */
export const AUTHOR_TTL_SECONDS = 30 * 24 * 60 * 60;
