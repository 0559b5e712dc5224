import { z } from 'zod';
import { CHAT_MEMBER_KINDS, PRESENCE_STATUSES, envelopeSchema } from '@agentbus/schema';
import { ANNOUNCEMENTS_ID, channelIdSchema, conversationIdSchema, seqSchema, userIdSchema } from '../ids';

/*
 * What the hub sends. The typed client validates every frame with these schemas, as the hub
 * validates what clients send: each side trusts only what it checked.
 */

/** Why the hub refused a frame. */
export const CHAT_ERROR_CODES = [
  /** Not JSON, or not an object with a string `type`. */
  'bad_frame',
  /** A `type` that is no client frame at all. */
  'unknown_type',
  /** A chat event the hub emits itself (`system.*`, `channel.presence`, ...): clients may not send it. */
  'unsupported',
  /** The frame's fields failed their schema; `message` names the field. */
  'invalid_payload',
  /** Over the hub's frame size limit (`maxFrameBytes`). */
  'too_large',
  /** No `hello` yet, or its token is unknown. */
  'unauthorized',
  /** Not a member of the channel, or not the author of the message, or no `announce` right. */
  'forbidden',
  /** No such message, thread or user. */
  'not_found',
  /** The user already has the most open connections allowed (`maxConnectionsPerUser`); the hub closes with 4429. */
  'too_many_connections',
  /** The hub failed (Redis down, ...); the frame may be sent again. */
  'internal',
] as const;
export type ChatErrorCode = (typeof CHAT_ERROR_CODES)[number];

export const memberViewSchema = z.object({
  id: userIdSchema,
  kind: z.enum(CHAT_MEMBER_KINDS),
  name: z.string().optional(),
  status: z.enum(PRESENCE_STATUSES),
  lastSeenAt: z.number().optional(),
});
export type MemberView = z.output<typeof memberViewSchema>;

export const typingViewSchema = z.object({ userId: userIdSchema, threadId: z.string().optional() });
export type TypingView = z.output<typeof typingViewSchema>;

export const channelViewSchema = z.object({
  id: channelIdSchema,
  name: z.string(),
  topic: z.string(),
  description: z.string(),
  private: z.boolean(),
  archived: z.boolean(),
  members: z.array(memberViewSchema),
  typing: z.array(typingViewSchema),
  /** The newest event's seq when the session opened (null: no history yet). */
  lastSeq: seqSchema.nullable(),
});
export type ChannelView = z.output<typeof channelViewSchema>;

/** A direct conversation of the user, as the welcome lists it. */
export const directViewSchema = z.object({
  /** `dm:a:b` (directChannelId). */
  id: conversationIdSchema,
  /** The other participant (the user themselves for notes to self). */
  peer: userIdSchema,
  /** The newest event's seq when the session opened (null: no history kept). */
  lastSeq: seqSchema.nullable(),
});
export type DirectView = z.output<typeof directViewSchema>;

/** The announcements' conversation, as the welcome gives it: every user reads it. */
export const announcementsViewSchema = z.object({
  id: z.literal(ANNOUNCEMENTS_ID),
  /** The newest announcement's seq when the session opened (null: none kept). */
  lastSeq: seqSchema.nullable(),
});
export type AnnouncementsView = z.output<typeof announcementsViewSchema>;

export const profileSchema = z.object({
  id: userIdSchema,
  kind: z.enum(CHAT_MEMBER_KINDS),
  name: z.string().optional(),
});
export type Profile = z.output<typeof profileSchema>;

/** One chat event: the envelope as stored, and its position in the channel's history when it has one. */
export const eventFrameSchema = z.object({
  type: z.literal('event'),
  /** Stream id of an event kept in history (channel, direct conversation or announcements); absent for typing and presence. */
  seq: seqSchema.optional(),
  env: envelopeSchema,
});
export type EventFrame = z.output<typeof eventFrameSchema>;

export const SERVER_FRAME_SCHEMAS = {
  welcome: z.object({
    type: z.literal('welcome'),
    hubId: z.string(),
    sessionId: z.string(),
    user: profileSchema.extend({ announce: z.boolean() }),
    channels: z.array(channelViewSchema),
    /** The user's direct conversations that have history. */
    directs: z.array(directViewSchema),
    /** Hub-wide announcements, kept as a conversation of their own (`system:announcements`). */
    announcements: announcementsViewSchema,
    /** Profiles of everyone in the user's channels and direct conversations (names for mentions and direct messages). */
    users: z.array(profileSchema),
    heartbeatMs: z.number(),
    typingTtlMs: z.number(),
    maxFrameBytes: z.number(),
  }),
  history: z.object({
    type: z.literal('history'),
    /** A channel, a direct conversation `dm:a:b`, or the announcements (`system:announcements`). */
    channelId: conversationIdSchema,
    /** `recent`: the channel's cached recent events; `resume`: the gap after `since`; `page`: an older page. */
    reason: z.enum(['recent', 'resume', 'page']),
    events: z.array(eventFrameSchema),
    /** Events after `since` are missing: trimmed by retention, or more than the replay limit. */
    truncated: z.boolean(),
    /** `resume`: another history frame for this channel follows (a long gap goes in pages); `recent` and `page`: older events may exist (ask with a `history` frame). */
    more: z.boolean(),
    ref: z.string().optional(),
  }),
  event: eventFrameSchema,
  ack: z.object({
    type: z.literal('ack'),
    ref: z.string(),
    /** The envelope id of what was sent. */
    id: z.string().optional(),
    seq: seqSchema.optional(),
    /** The id the hub gave a new message. */
    messageId: z.string().optional(),
  }),
  error: z.object({
    type: z.literal('error'),
    ref: z.string().optional(),
    code: z.enum(CHAT_ERROR_CODES),
    message: z.string(),
  }),
  rate_limited: z.object({
    type: z.literal('rate_limited'),
    ref: z.string().optional(),
    /** The rate-limited action (`message`, `typing`, ...) or `frames` for the connection's flood guard. */
    action: z.string(),
    retryAfterMs: z.number(),
  }),
  pong: z.object({ type: z.literal('pong'), ref: z.string().optional(), ts: z.number() }),
} as const;

export const serverFrameSchema = z.discriminatedUnion('type', [
  SERVER_FRAME_SCHEMAS.welcome,
  SERVER_FRAME_SCHEMAS.history,
  SERVER_FRAME_SCHEMAS.event,
  SERVER_FRAME_SCHEMAS.ack,
  SERVER_FRAME_SCHEMAS.error,
  SERVER_FRAME_SCHEMAS.rate_limited,
  SERVER_FRAME_SCHEMAS.pong,
]);
export type ServerFrame = z.output<typeof serverFrameSchema>;
export type ServerFrameOf<T extends ServerFrame['type']> = Extract<ServerFrame, { type: T }>;
export type WelcomeFrame = ServerFrameOf<'welcome'>;
export type HistoryFrame = ServerFrameOf<'history'>;
export type AckFrame = ServerFrameOf<'ack'>;
export type ErrorFrame = ServerFrameOf<'error'>;
export type RateLimitedFrame = ServerFrameOf<'rate_limited'>;

/** The text of an event frame, built without a parse so stored envelope JSON passes through as is. */
export function eventFrameText(envJson: string, seq?: string): string {
  return seq === undefined ? `{"type":"event","env":${envJson}}` : `{"type":"event","seq":"${seq}","env":${envJson}}`;
}
