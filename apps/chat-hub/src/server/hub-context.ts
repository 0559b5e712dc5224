import type { Authenticator } from '../auth';
import type { ResolvedChatHubOptions } from '../options';
import type { ChatRateLimits } from '../rate-limits';
import type { ChatStore } from '../store/chat-store';
import type { Router } from './router';

/** A session as the hub sees it: for the heartbeat and for shutdown. */
export interface HubSession {
  readonly id: string;
  /** The user, once `hello` succeeded. */
  readonly userId: string | undefined;
  readonly channels: readonly string[];
  readonly status: 'online' | 'away';
  /** Pings the socket; false (and the socket terminated) when the last ping went unanswered. */
  heartbeat(): boolean;
  /** Closes the socket; resolves when the session has written its presence. */
  close(code: number, reason: string): Promise<void>;
  /** Resolves once the socket closed and the session cleaned up (presence, typing, subscriptions). */
  readonly done: Promise<void>;
}

/** What every session of one hub shares. */
export interface HubContext {
  readonly options: ResolvedChatHubOptions;
  readonly store: ChatStore;
  readonly limits: ChatRateLimits;
  readonly auth: Authenticator;
  readonly router: Router;
  /** Every configured user id: mentions and direct messages resolve against it. */
  readonly knownUsers: ReadonlySet<string>;
  readonly sessions: Set<HubSession>;
  nextSessionId(): string;
}
