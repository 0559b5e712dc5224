import { z } from 'zod';

/**
 * Channel and user ids become parts of Redis keys and Pub/Sub channel names, so they are narrower
 * than the chat schema's ids: no whitespace, braces or colons (a colon would make `agent:a:b`
 * ambiguous), and user ids have no `@`, so `@id` in a message is always a mention.
 */
export const CHANNEL_ID_RE = /^[a-z0-9][a-z0-9._-]{0,79}$/;
export const USER_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** A Redis stream entry id: the position of an event in its channel's history. */
export const SEQ_RE = /^\d{1,20}-\d{1,20}$/;

export const channelIdSchema = z
  .string()
  .regex(CHANNEL_ID_RE, 'must be 1-80 of a-z 0-9 . _ -, starting with a letter or digit');
export const userIdSchema = z
  .string()
  .regex(USER_ID_RE, 'must be 1-64 of A-Z a-z 0-9 . _ -, starting with a letter or digit');
export const seqSchema = z.string().regex(SEQ_RE, 'must be a stream id like 1700000000000-0');
/** Ids the hub makes (UUIDv7) or a client names (a message it edits); the chat schema's bound. */
export const messageIdSchema = z.string().min(1).max(256);

/** The conversation id of a direct message between two users: the same from either side. */
export function directChannelId(a: string, b: string): string {
  return a < b ? `dm:${a}:${b}` : `dm:${b}:${a}`;
}

const DIRECT_CHANNEL_ID_RE = /^dm:([A-Za-z0-9][A-Za-z0-9._-]{0,63}):([A-Za-z0-9][A-Za-z0-9._-]{0,63})$/;

/** The two users of a direct conversation id (`dm:a:b` as `directChannelId` makes it); undefined for anything else. */
export function directParticipants(conversationId: string): [string, string] | undefined {
  const m = DIRECT_CHANNEL_ID_RE.exec(conversationId);
  if (!m) return undefined;
  const [a, b] = [m[1] as string, m[2] as string];
  return directChannelId(a, b) === conversationId ? [a, b] : undefined;
}

/**
 * The conversation that keeps hub-wide announcements (`system.announcement`): every user may read
 * it. The colon keeps it apart from channel ids, and it has no `dm:` prefix.
 */
export const ANNOUNCEMENTS_ID = 'system:announcements';

/**
 * Where history is kept: a channel id, a direct conversation id `dm:<a>:<b>` (a <= b), or the
 * announcements (`ANNOUNCEMENTS_ID`).
 */
export const conversationIdSchema = z
  .string()
  .refine(
    (id) => CHANNEL_ID_RE.test(id) || id === ANNOUNCEMENTS_ID || directParticipants(id) !== undefined,
    `must be a channel id, a direct conversation id dm:<a>:<b> with the user ids in order, or ${ANNOUNCEMENTS_ID}`,
  );

/** The conversation a kept event belongs to: its payload's `channelId`, or the announcements for `system.announcement`. */
export function conversationOfEvent(type: string, payload: unknown): string | undefined {
  if (type === 'system.announcement') return ANNOUNCEMENTS_ID;
  const id = (payload as { channelId?: unknown } | null | undefined)?.channelId;
  return typeof id === 'string' ? id : undefined;
}

/** Orders two stream ids; -1, 0 or 1. */
export function compareSeq(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  const ms = BigInt(am) - BigInt(bm);
  const d = ms !== 0n ? ms : BigInt(as) - BigInt(bs);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}
