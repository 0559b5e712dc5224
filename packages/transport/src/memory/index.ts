// The in-memory backend: the same stream and Pub/Sub primitives as Redis, in one process.
export { createMemoryStore } from './memory-store';
export type { MemoryStore, MemoryStoreOptions } from './memory-store';
export { createMemoryStreamBackend } from './memory-stream-backend';
export type { MemoryStreamBackendOptions } from './memory-stream-backend';
export { createMemoryPubSubBackend } from './memory-pubsub-backend';
export type { MemoryPubSubBackendOptions } from './memory-pubsub-backend';
export { redisGlobMatch } from './redis-glob';
export { createMemoryMembership } from './memory-membership';
export type { MemoryMembershipOptions } from './memory-membership';
