import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AgentbusError, CHAT_MEMBER_KINDS, ERROR_CODES, type ChatMemberKind } from '@agentbus/schema';
import { channelIdSchema, userIdSchema } from './ids';

/** A token and what it grants: who connects with it and which channels they belong to. */
export const chatTokenSchema = z.strictObject({
  /** The secret a client sends in `hello` or as `Authorization: Bearer`; at least 16 characters. */
  token: z.string().min(16, 'must be at least 16 characters (use a random secret)').max(512),
  id: userIdSchema,
  kind: z.enum(CHAT_MEMBER_KINDS).default('human'),
  name: z.string().min(1).max(256).optional(),
  /** The channels this user belongs to; `"*"` for every configured channel. */
  channels: z.union([z.literal('*'), z.array(channelIdSchema).max(1000)]).default([]),
  /** May send hub-wide announcements (`system.announcement` on `pubsub:global`). */
  announce: z.boolean().default(false),
});
export type ChatTokenConfig = z.input<typeof chatTokenSchema>;

/** A channel the hub creates at start (channels named only in tokens are created too, named by id). */
export const chatChannelSchema = z.strictObject({
  id: channelIdSchema,
  name: z.string().min(1).max(80).optional(),
  topic: z.string().max(1000).optional(),
  description: z.string().max(4000).optional(),
  private: z.boolean().optional(),
});
export type ChatChannelConfig = z.input<typeof chatChannelSchema>;

/** Who a session is: resolved from its token, fixed for the session. */
export interface Identity {
  readonly id: string;
  readonly kind: ChatMemberKind;
  readonly name: string | undefined;
  /** Channel ids, `"*"` resolved. */
  readonly channels: readonly string[];
  readonly announce: boolean;
}

export interface Authenticator {
  /** The identity of a token, or undefined for an unknown one. */
  authenticate(token: string): Identity | undefined;
  /** Every configured identity (to create channels and members at start). */
  identities(): readonly Identity[];
  /** Every channel: configured ones, then ones named only in tokens. */
  channels(): readonly z.output<typeof chatChannelSchema>[];
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function invalid(message: string): AgentbusError {
  return new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, message);
}

function describe(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');
}

/**
 * Tokens are kept and looked up only as SHA-256 digests: a lookup by the token itself could leak,
 * through timing, how much of a guess matched; a digest's prefix says nothing about the token.
 */
export function createAuthenticator(tokens: readonly ChatTokenConfig[], channels: readonly ChatChannelConfig[] = []): Authenticator {
  const parsedChannels = z.array(chatChannelSchema).safeParse(channels);
  if (!parsedChannels.success) throw invalid(`invalid channels (option channels / CHAT_CHANNELS): ${describe(parsedChannels.error.issues)}`);
  const parsedTokens = z.array(chatTokenSchema).safeParse(tokens);
  if (!parsedTokens.success) throw invalid(`invalid tokens (option tokens / CHAT_TOKENS): ${describe(parsedTokens.error.issues)}`);

  const allChannels = new Map(parsedChannels.data.map((c) => [c.id, c]));
  for (const t of parsedTokens.data) {
    if (t.channels === '*') continue;
    for (const id of t.channels) if (!allChannels.has(id)) allChannels.set(id, { id });
  }
  const channelIds = [...allChannels.keys()];

  const byDigest = new Map<string, Identity>();
  const ids = new Set<string>();
  for (const t of parsedTokens.data) {
    const key = digest(t.token);
    if (byDigest.has(key)) throw invalid(`tokens: the token of ${t.id} is used twice (option tokens / CHAT_TOKENS); give every user its own`);
    if (ids.has(t.id)) throw invalid(`tokens: user id ${t.id} has two tokens (option tokens / CHAT_TOKENS); one token per user id`);
    ids.add(t.id);
    byDigest.set(
      key,
      Object.freeze({
        id: t.id,
        kind: t.kind,
        name: t.name,
        channels: Object.freeze(t.channels === '*' ? [...channelIds] : [...new Set(t.channels)]),
        announce: t.announce,
      }),
    );
  }

  return {
    authenticate: (token) => byDigest.get(digest(token)),
    identities: () => [...byDigest.values()],
    channels: () => [...allChannels.values()],
  };
}
