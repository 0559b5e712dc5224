import { z } from 'zod';
import { PRESENCE_STATUSES } from '@agentbus/schema';
import type { TypingView } from '../protocol/server-frames';
import type { PresenceEntry } from './chat-store';

const presenceEntrySchema = z.object({ status: z.enum(PRESENCE_STATUSES), lastSeenAt: z.number() });

/**
 * A stored presence entry; one not refreshed within the TTL reads as offline (its hub died
 * without saying so). Unreadable values are skipped: Redis is shared, and one bad field must not
 * break a channel's member list.
 */
export function decodePresence(value: string, now: number, ttlMs: number): PresenceEntry | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  const r = presenceEntrySchema.safeParse(parsed);
  if (!r.success) return undefined;
  return now - r.data.lastSeenAt >= ttlMs ? { status: 'offline', lastSeenAt: r.data.lastSeenAt } : r.data;
}

/** A typing-set member: `userId` or `userId|threadId` (user ids have no `|`). */
export function encodeTyping(entry: TypingView): string {
  return entry.threadId === undefined ? entry.userId : `${entry.userId}|${entry.threadId}`;
}

export function decodeTyping(member: string): TypingView {
  const bar = member.indexOf('|');
  return bar < 0 ? { userId: member } : { userId: member.slice(0, bar), threadId: member.slice(bar + 1) };
}
