import { z } from 'zod';
import { ValidationError } from '../errors';
import { validate } from '../internal/validate';
import { err, type Result } from '../result';

/**
 * Events of the chat hub, Slack-style: channels, messages, reactions, typing, presence, members
 * and threads, plus swarm activity shown in a channel (`collaboration.event`) and hub notices
 * (`system.*`). Each travels as an envelope whose `type` is the event name and whose `payload`
 * is the event's payload. Payloads are strict: only TypeScript code (hub and web page) writes
 * them, so an unknown field is a bug worth rejecting at the hub rather than storing.
 */
export const CHAT_EVENT_TYPES = [
  'channel.message',
  'channel.message.edit',
  'channel.message.delete',
  'channel.reaction.add',
  'channel.reaction.remove',
  'channel.typing',
  'channel.presence',
  'channel.member.join',
  'channel.member.leave',
  'channel.member.update',
  'channel.update',
  'channel.archive',
  'channel.delete',
  'thread.create',
  'thread.update',
  'thread.message',
  'collaboration.event',
  // A prefix, not a name: every type starting with `system.` (also usable as a channel pattern).
  'system.*',
] as const;

/** Prefix of the open family of hub notices (`system.restart`, `system.maintenance`, ...). */
export const SYSTEM_EVENT_PREFIX = 'system.';

export const PRESENCE_STATUSES = ['online', 'away', 'offline'] as const;
export type PresenceStatus = (typeof PRESENCE_STATUSES)[number];

export const CHAT_MEMBER_KINDS = ['human', 'agent'] as const;
export type ChatMemberKind = (typeof CHAT_MEMBER_KINDS)[number];

export const CHAT_MEMBER_ROLES = ['owner', 'admin', 'member', 'guest'] as const;
export type ChatMemberRole = (typeof CHAT_MEMBER_ROLES)[number];

const chatId = z.string().min(1).max(256);
const messageText = z.string().min(1).max(40_000);
/** Ids of the users and agents a message mentions, so the hub can notify them. */
const mentions = z.array(chatId).max(256).default([]);
const emoji = z.string().regex(/^\S{1,64}$/u, 'must be an emoji or :shortcode: (1-64 characters, no spaces)');
const displayName = z.string().min(1).max(256);

/** Who wrote a message or joined a channel: a person or an agent. */
export const chatParticipantSchema = z.strictObject({
  id: chatId,
  kind: z.enum(CHAT_MEMBER_KINDS),
  name: displayName.optional(),
});
export type ChatParticipant = z.output<typeof chatParticipantSchema>;

/** Payload schema of every chat event with a fixed name. */
export const CHAT_PAYLOAD_SCHEMAS = {
  'channel.message': z.strictObject({
    channelId: chatId,
    messageId: chatId,
    author: chatParticipantSchema,
    text: messageText,
    mentions,
  }),
  'channel.message.edit': z.strictObject({
    channelId: chatId,
    messageId: chatId,
    /** Set when the edited message is a thread reply. */
    threadId: chatId.optional(),
    editedBy: chatId,
    text: messageText,
    mentions,
  }),
  'channel.message.delete': z.strictObject({
    channelId: chatId,
    messageId: chatId,
    threadId: chatId.optional(),
    deletedBy: chatId,
  }),
  'channel.reaction.add': z.strictObject({
    channelId: chatId,
    messageId: chatId,
    threadId: chatId.optional(),
    userId: chatId,
    emoji,
  }),
  'channel.reaction.remove': z.strictObject({
    channelId: chatId,
    messageId: chatId,
    threadId: chatId.optional(),
    userId: chatId,
    emoji,
  }),
  'channel.typing': z.strictObject({
    channelId: chatId,
    /** Typing in a thread rather than the channel. */
    threadId: chatId.optional(),
    userId: chatId,
    /** false when the user stopped typing (sent, cleared or left the box). */
    typing: z.boolean(),
  }),
  'channel.presence': z.strictObject({
    userId: chatId,
    status: z.enum(PRESENCE_STATUSES),
    /** Presence in one channel; absent for the user's presence hub-wide. */
    channelId: chatId.optional(),
    /** Last activity, ms since epoch (shown as "last seen"). */
    lastSeenAt: z.number().int().nonnegative().optional(),
  }),
  'channel.member.join': z.strictObject({
    channelId: chatId,
    member: chatParticipantSchema,
    role: z.enum(CHAT_MEMBER_ROLES).default('member'),
    /** Absent when the member joined on their own. */
    invitedBy: chatId.optional(),
  }),
  'channel.member.leave': z.strictObject({
    channelId: chatId,
    memberId: chatId,
    /** Absent when the member left on their own. */
    removedBy: chatId.optional(),
  }),
  'channel.member.update': z
    .strictObject({
      channelId: chatId,
      memberId: chatId,
      updatedBy: chatId,
      role: z.enum(CHAT_MEMBER_ROLES).optional(),
      name: displayName.optional(),
    })
    .refine((p) => p.role !== undefined || p.name !== undefined, {
      message: 'must change role or name',
    }),
  'channel.update': z.strictObject({
    channelId: chatId,
    updatedBy: chatId,
    name: z.string().min(1).max(80).optional(),
    /** `""` clears the topic. */
    topic: z.string().max(1000).optional(),
    description: z.string().max(4000).optional(),
    private: z.boolean().optional(),
  }),
  'channel.archive': z.strictObject({
    channelId: chatId,
    archivedBy: chatId,
    /** false un-archives the channel. */
    archived: z.boolean().default(true),
  }),
  'channel.delete': z.strictObject({
    channelId: chatId,
    deletedBy: chatId,
  }),
  'thread.create': z.strictObject({
    channelId: chatId,
    threadId: chatId,
    /** The channel message the thread hangs off. */
    parentMessageId: chatId,
    createdBy: chatId,
    title: z.string().min(1).max(256).optional(),
  }),
  'thread.update': z.strictObject({
    channelId: chatId,
    threadId: chatId,
    updatedBy: chatId,
    title: z.string().min(1).max(256).optional(),
    resolved: z.boolean().optional(),
  }),
  'thread.message': z.strictObject({
    channelId: chatId,
    threadId: chatId,
    messageId: chatId,
    author: chatParticipantSchema,
    text: messageText,
    mentions,
    /** Also show the reply in the channel ("also send to channel"). */
    alsoInChannel: z.boolean().default(false),
  }),
  'collaboration.event': z.strictObject({
    channelId: chatId,
    /** Agent or person the activity is by. */
    actor: chatId,
    /** What happened, dotted lower case: `task.claimed`, `finding.posted`, `escalation.raised`. */
    kind: z.string().regex(/^[a-z][a-z0-9_.-]{0,99}$/, 'must be lower case, e.g. task.claimed'),
    /** The swarm object it is about, e.g. `{ type: 'task', id: 't1' }`. */
    subject: z.strictObject({ type: z.string().min(1).max(64), id: chatId }).optional(),
    summary: z.string().max(4000).optional(),
    data: z.record(z.string(), z.unknown()).default({}),
  }),
} as const;

/**
 * Payload of every `system.*` event. Loose, unlike the others: each notice may carry its own
 * fields, and the hub only needs `message` and `level` to show it.
 */
export const systemChatPayloadSchema = z.looseObject({
  message: z.string().max(4000).optional(),
  level: z.enum(['info', 'warning', 'error']).optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});

const systemTypeSchema = z.templateLiteral([SYSTEM_EVENT_PREFIX, z.string().regex(/^[A-Za-z0-9_.:-]{1,190}$/)]);

export type NamedChatEventType = keyof typeof CHAT_PAYLOAD_SCHEMAS;
export type SystemChatEventType = `system.${string}`;
export type ChatEventType = NamedChatEventType | SystemChatEventType;

export type ChatPayload<T extends ChatEventType> = T extends NamedChatEventType
  ? z.output<(typeof CHAT_PAYLOAD_SCHEMAS)[T]>
  : z.output<typeof systemChatPayloadSchema>;

export type ChatEvent =
  | { [T in NamedChatEventType]: { type: T; payload: z.output<(typeof CHAT_PAYLOAD_SCHEMAS)[T]> } }[NamedChatEventType]
  | { type: SystemChatEventType; payload: z.output<typeof systemChatPayloadSchema> };

function eventOf<T extends NamedChatEventType>(type: T) {
  return z.strictObject({ type: z.literal(type), payload: CHAT_PAYLOAD_SCHEMAS[type] });
}

const namedEventSchemas = {
  'channel.message': eventOf('channel.message'),
  'channel.message.edit': eventOf('channel.message.edit'),
  'channel.message.delete': eventOf('channel.message.delete'),
  'channel.reaction.add': eventOf('channel.reaction.add'),
  'channel.reaction.remove': eventOf('channel.reaction.remove'),
  'channel.typing': eventOf('channel.typing'),
  'channel.presence': eventOf('channel.presence'),
  'channel.member.join': eventOf('channel.member.join'),
  'channel.member.leave': eventOf('channel.member.leave'),
  'channel.member.update': eventOf('channel.member.update'),
  'channel.update': eventOf('channel.update'),
  'channel.archive': eventOf('channel.archive'),
  'channel.delete': eventOf('channel.delete'),
  'thread.create': eventOf('thread.create'),
  'thread.update': eventOf('thread.update'),
  'thread.message': eventOf('thread.message'),
  'collaboration.event': eventOf('collaboration.event'),
} as const;

const systemEventSchema = z.strictObject({ type: systemTypeSchema, payload: systemChatPayloadSchema });

/**
 * Any chat event `{ type, payload }`. For field-level errors on untrusted input prefer
 * `decodeChatEvent`: as a union, this schema reports a bad `system.*` event as a union failure.
 */
export const chatEventSchema = z.union([
  z.discriminatedUnion('type', Object.values(namedEventSchemas) as [
    (typeof namedEventSchemas)[NamedChatEventType],
    ...(typeof namedEventSchemas)[NamedChatEventType][],
  ]),
  systemEventSchema,
]);

export function isNamedChatEventType(type: string): type is NamedChatEventType {
  return Object.hasOwn(CHAT_PAYLOAD_SCHEMAS, type);
}

/** Whether `type` is a chat event type: one of the names, or `system.` and a suffix. */
export function isChatEventType(type: string): type is ChatEventType {
  return isNamedChatEventType(type) || systemTypeSchema.safeParse(type).success;
}

/** The payload schema of a chat event type, or undefined for a type that is none. */
export function chatPayloadSchema(type: string): z.ZodType | undefined {
  if (isNamedChatEventType(type)) return CHAT_PAYLOAD_SCHEMAS[type];
  return isChatEventType(type) ? systemChatPayloadSchema : undefined;
}

/**
 * Validates a parsed chat event; never throws. The type is looked up first, so an error names
 * `type` (unknown event) or the payload field that failed (`payload.text`).
 */
export function decodeChatEvent(value: unknown): Result<ChatEvent, ValidationError> {
  const type =
    typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
  if (typeof type !== 'string' || !isChatEventType(type)) {
    const message =
      typeof type === 'string'
        ? `unknown chat event type ${JSON.stringify(type)}`
        : 'must be a chat event type';
    return err(new ValidationError('chat event', [{ path: 'type', rule: 'invalid_value', message }]));
  }
  const schema = isNamedChatEventType(type) ? namedEventSchemas[type] : systemEventSchema;
  return validate(schema, value, `${type} chat event`);
}
