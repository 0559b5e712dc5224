// Public API of @agentbus/transport. Explicit named exports only.
export { createTransport, selectBackend } from './create-transport';
export type { CreateTransportOptions } from './create-transport';
export { createRedisTransport } from './redis-transport';
export type { RedisTransportOptions } from './redis-transport';
export { createMemoryTransport } from './memory-transport';
export type { MemoryTransportOptions, MemoryStore } from './memory-transport';
export { createMemoryStore } from './memory-transport';
export {
  createRedisClient,
  connectRedis,
  connectionOptionsFromEnv,
  describeTarget,
  DEFAULT_REDIS_CONNECTION_OPTIONS,
} from './redis/connection';
export type { RedisClient, RedisConnectionOptions, SentinelOptions } from './redis/connection';
export { toAgentbusError } from './redis/redis-errors';
export { defineScripts } from './redis/script-registry';
export type { ScriptDefinition } from './redis/script-registry';
export { BackpressureError } from './errors';
export {
  DEFAULT_TRANSPORT_OPTIONS,
  DEFAULT_CONSUME_OPTIONS,
  DEFAULT_LANE_WEIGHTS,
  DEFAULT_RETENTION,
  DEFAULT_DEDUPE_WINDOW_MS,
} from './options';
export type { TransportOptions } from './options';
export { partitionFor } from './partition';
export { compareStreamIds } from './internal/stream-id';
export type {
  Transport,
  TransportCapabilities,
  TransportHooks,
  TopicOptions,
  RetentionPolicy,
  PublishOptions,
  PublishResult,
  ConsumeOptions,
  Consumer,
  ConsumerCounters,
  Headers,
  DeliveryContext,
  Handler,
  Rejection,
  RejectReason,
  RejectionOutcome,
  RejectionHandler,
  PubSub,
  Subscription,
  SubscribeOptions,
  SubscriptionHandler,
  TopicStats,
  LaneStats,
  GroupInfo,
  ConsumerInfo,
  TrimResult,
  HealthReport,
} from './types';
