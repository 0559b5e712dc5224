import { createRateLimiter, type RateLimitDecision, type TokenBucketOptions } from '@agentbus/reliability';
import type { Transport } from '@agentbus/transport';

/** What a user does, each with its own token bucket per user (shared by every hub on the Redis). */
export const CHAT_ACTIONS = ['hello', 'message', 'edit', 'reaction', 'typing', 'presence', 'history', 'update', 'announce'] as const;
export type ChatAction = (typeof CHAT_ACTIONS)[number];

/**
 * Bursts a person or a well-behaved agent never reaches, sustained rates a flood always exceeds.
 * `message` covers channel messages, thread replies, direct messages and collaboration events.
 * `hello` is a new session: its burst lets every tab of a user (up to the default
 * maxConnectionsPerUser) come back at once after a hub restarts.
 */
export const DEFAULT_CHAT_RATE_LIMITS: Readonly<Record<ChatAction, Required<TokenBucketOptions>>> = {
  hello: { capacity: 20, refillPerSecond: 1 },
  message: { capacity: 30, refillPerSecond: 5 },
  edit: { capacity: 20, refillPerSecond: 2 },
  reaction: { capacity: 30, refillPerSecond: 5 },
  typing: { capacity: 20, refillPerSecond: 2 },
  presence: { capacity: 10, refillPerSecond: 1 },
  history: { capacity: 20, refillPerSecond: 5 },
  update: { capacity: 10, refillPerSecond: 1 },
  announce: { capacity: 5, refillPerSecond: 0.2 },
};

export interface ChatRateLimits {
  take(userId: string, action: ChatAction): Promise<RateLimitDecision>;
}

/** Per-user, per-action buckets on the reliability token bucket (`ratelimit:chat.<user>:<action>` keys). */
export function createChatRateLimits(
  transport: Transport,
  overrides: Partial<Record<ChatAction, TokenBucketOptions>> = {},
): ChatRateLimits {
  const limiter = createRateLimiter(transport);
  const buckets = Object.fromEntries(
    CHAT_ACTIONS.map((a) => [a, { ...DEFAULT_CHAT_RATE_LIMITS[a], ...overrides[a] }]),
  ) as Record<ChatAction, Required<TokenBucketOptions>>;
  return {
    take: (userId, action) => limiter.take(`chat.${userId}`, action, 1, buckets[action]),
  };
}
