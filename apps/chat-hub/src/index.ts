// Public API of @agentbus/chat-hub. Explicit named exports only.
export { createChatHub, createChatStore } from './chat-hub';
export type { ChatHub } from './chat-hub';
export { DEFAULT_CHAT_HUB_OPTIONS, resolveChatHubOptions } from './options';
export type { ChatHubOptions, ResolvedChatHubOptions } from './options';
export { chatHubOptionsFromEnv, chatHubEnvSchema } from './env';
export { createDemoSetup } from './demo-setup';
export type { DemoSetup } from './demo-setup';
export { createAuthenticator, chatTokenSchema, chatChannelSchema } from './auth';
export type { Authenticator, ChatTokenConfig, ChatChannelConfig, Identity } from './auth';
export { CHAT_ACTIONS, DEFAULT_CHAT_RATE_LIMITS, createChatRateLimits } from './rate-limits';
export type { ChatAction, ChatRateLimits } from './rate-limits';
export { DEFAULT_FLOOD_OPTIONS } from './server/flood-guard';
export type { FloodOptions } from './server/flood-guard';
export {
  CHANNEL_ID_RE,
  USER_ID_RE,
  SEQ_RE,
  channelIdSchema,
  userIdSchema,
  seqSchema,
  conversationIdSchema,
  conversationOfEvent,
  ANNOUNCEMENTS_ID,
  compareSeq,
  directChannelId,
  directParticipants,
} from './ids';
export { parseMentions } from './mentions';
export { CLIENT_FRAME_SCHEMAS, CLIENT_FRAME_TYPES, helloFrameSchema, isClientFrameType } from './protocol/client-frames';
export type { ClientFrame, ClientFrameType, ClientFrameOf, ClientEventType, ParsedClientFrame } from './protocol/client-frames';
export {
  CHAT_ERROR_CODES,
  SERVER_FRAME_SCHEMAS,
  serverFrameSchema,
  eventFrameSchema,
  channelViewSchema,
  directViewSchema,
  announcementsViewSchema,
  memberViewSchema,
  profileSchema,
  typingViewSchema,
  eventFrameText,
} from './protocol/server-frames';
export type {
  ChatErrorCode,
  ServerFrame,
  ServerFrameOf,
  WelcomeFrame,
  HistoryFrame,
  AckFrame,
  ErrorFrame,
  RateLimitedFrame,
  EventFrame,
  ChannelView,
  DirectView,
  AnnouncementsView,
  MemberView,
  Profile,
  TypingView,
} from './protocol/server-frames';
export { createMemoryChatStore } from './store/memory-chat-store';
export { createRedisChatStore } from './store/redis-chat-store';
export { createChatKeys } from './store/chat-keys';
export type { ChatKeys } from './store/chat-keys';
export type {
  ChatStore,
  ChatStoreOptions,
  ChannelInfo,
  PresenceEntry,
  PubSubTarget,
  FrameHandler,
  HistoryAfter,
  MessageChange,
  ChangeOutcome,
  OpenedSession,
  SubscriptionWatcher,
} from './store/chat-store';
export { createChatClient, ChatRequestError, DEFAULT_CHAT_CLIENT_OPTIONS } from './client/chat-client';
export type { ChatClient, ChatClientOptions, ChatDelivery, ChatRequestErrorCode } from './client/chat-client';
