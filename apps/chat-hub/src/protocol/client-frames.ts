import { z } from 'zod';
import { PRESENCE_STATUSES } from '@agentbus/schema';
import { channelIdSchema, conversationIdSchema, messageIdSchema, seqSchema, userIdSchema } from '../ids';

/*
 * What a client (the web page, an agent) may send. Each chat event carries only what the sender
 * decides; the hub fills in who did it (`author`, `editedBy`, `userId`, ...) from the token and
 * makes message ids, so no client can speak for another. Objects are strict: an unknown field is
 * a client bug, answered with an error frame rather than ignored.
 */

const ref = z.string().min(1).max(64).optional();
const text = z.string().min(1).max(40_000);
const mentions = z.array(userIdSchema).max(256).optional();
const emoji = z.string().regex(/^\S{1,64}$/u, 'must be an emoji or :shortcode: (1-64 characters, no spaces)');

function event<T extends string, P extends z.ZodRawShape>(type: T, payload: P) {
  return z.strictObject({ type: z.literal(type), ref, payload: z.strictObject(payload) });
}

/** Opens the session: the token (unless sent at upgrade as `Authorization: Bearer`) and the resume points. */
export const helloFrameSchema = z.strictObject({
  type: z.literal('hello'),
  ref,
  token: z.string().min(1).max(512).optional(),
  /**
   * Per channel, direct conversation (`dm:a:b`) and the announcements (`system:announcements`), the
   * last `seq` this client saw: the hub replays everything after it. With `since` given, a direct
   * conversation or the announcements missing from it are replayed from their start.
   */
  since: z.record(conversationIdSchema, seqSchema).optional(),
  /** Send the recent messages of channels not in `since`. Default true; agents often want only new ones. */
  recent: z.boolean().optional(),
  /** Free text for logs, e.g. `web/1` or `my-agent/0.3`. */
  client: z.string().max(100).optional(),
});

export const CLIENT_FRAME_SCHEMAS = {
  hello: helloFrameSchema,
  ping: z.strictObject({ type: z.literal('ping'), ref }),
  presence: z.strictObject({ type: z.literal('presence'), ref, status: z.enum(PRESENCE_STATUSES).exclude(['offline']) }),
  /** Older history of a channel, a direct conversation (`dm:a:b`) or the announcements (`system:announcements`): up to `limit` events before `before`. */
  history: z.strictObject({
    type: z.literal('history'),
    ref,
    channelId: conversationIdSchema,
    before: seqSchema,
    limit: z.number().int().min(1).max(200).optional(),
  }),
  /** A direct message to a user or agent: kept in the conversation `dm:a:b`, sent on `pubsub:agent:{id}` of both. */
  direct: z.strictObject({ type: z.literal('direct'), ref, to: userIdSchema, text, mentions }),
  /** A hub-wide notice (`system.announcement`, kept in `system:announcements`, sent on `pubsub:global`); needs a token with `announce`. */
  announce: z.strictObject({
    type: z.literal('announce'),
    ref,
    message: z.string().min(1).max(4000),
    level: z.enum(['info', 'warning', 'error']).optional(),
  }),
  'channel.message': event('channel.message', { channelId: channelIdSchema, text, mentions }),
  'channel.message.edit': event('channel.message.edit', {
    channelId: channelIdSchema,
    messageId: messageIdSchema,
    threadId: messageIdSchema.optional(),
    text,
    mentions,
  }),
  'channel.message.delete': event('channel.message.delete', {
    channelId: channelIdSchema,
    messageId: messageIdSchema,
    threadId: messageIdSchema.optional(),
  }),
  'channel.reaction.add': event('channel.reaction.add', {
    channelId: channelIdSchema,
    messageId: messageIdSchema,
    threadId: messageIdSchema.optional(),
    emoji,
  }),
  'channel.reaction.remove': event('channel.reaction.remove', {
    channelId: channelIdSchema,
    messageId: messageIdSchema,
    threadId: messageIdSchema.optional(),
    emoji,
  }),
  'channel.typing': event('channel.typing', {
    channelId: channelIdSchema,
    threadId: messageIdSchema.optional(),
    typing: z.boolean(),
  }),
  /** A reply; `threadId` is the id of the channel message it answers. */
  'thread.message': event('thread.message', {
    channelId: channelIdSchema,
    threadId: messageIdSchema,
    text,
    mentions,
    alsoInChannel: z.boolean().optional(),
  }),
  'thread.update': event('thread.update', {
    channelId: channelIdSchema,
    threadId: messageIdSchema,
    title: z.string().min(1).max(256).optional(),
    resolved: z.boolean().optional(),
  }),
  'channel.update': event('channel.update', {
    channelId: channelIdSchema,
    topic: z.string().max(1000).optional(),
    description: z.string().max(4000).optional(),
  }),
  /** Swarm activity shown in a channel (a task claimed, a finding posted), by the sender. */
  'collaboration.event': event('collaboration.event', {
    channelId: channelIdSchema,
    kind: z.string().regex(/^[a-z][a-z0-9_.-]{0,99}$/, 'must be lower case, e.g. task.claimed'),
    subject: z.strictObject({ type: z.string().min(1).max(64), id: z.string().min(1).max(256) }).optional(),
    summary: z.string().max(4000).optional(),
    data: z.record(z.string(), z.unknown()).optional(),
  }),
} as const;

export type ClientFrameType = keyof typeof CLIENT_FRAME_SCHEMAS;
export const CLIENT_FRAME_TYPES = Object.keys(CLIENT_FRAME_SCHEMAS) as ClientFrameType[];

export type ClientFrame = { [T in ClientFrameType]: z.input<(typeof CLIENT_FRAME_SCHEMAS)[T]> }[ClientFrameType];
export type ParsedClientFrame = { [T in ClientFrameType]: z.output<(typeof CLIENT_FRAME_SCHEMAS)[T]> }[ClientFrameType];
export type ClientFrameOf<T extends ClientFrameType> = z.output<(typeof CLIENT_FRAME_SCHEMAS)[T]>;
/** The chat events a client may send, by frame type. */
export type ClientEventType = Exclude<ClientFrameType, 'hello' | 'ping' | 'presence' | 'history' | 'direct' | 'announce'>;

export function isClientFrameType(type: string): type is ClientFrameType {
  return Object.hasOwn(CLIENT_FRAME_SCHEMAS, type);
}
