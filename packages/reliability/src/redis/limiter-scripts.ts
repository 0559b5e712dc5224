import type { Cluster, Redis, Result as IoResult } from 'ioredis';
import { defineScripts } from '@agentbus/transport';
import tokenBucketLua from './token-bucket.lua';
import idempotencyAcquireLua from './idempotency-acquire.lua';
import idempotencyCompleteLua from './idempotency-complete.lua';
import idempotencyReleaseLua from './idempotency-release.lua';
import idempotencyRenewLua from './idempotency-renew.lua';

/*
 * The rate-limiter and idempotency scripts, registered once per connection with `defineCommand`
 * under versioned names: a changed script gets a new name, so processes of two versions never
 * run each other's code. Each touches one key, so each runs on Redis Cluster as it is.
 */

/** Prefix of the value of a record whose side effect is running; the rest is the holder's token. */
export const IDEMPOTENCY_LEASE_PREFIX = 'lease:';
/** Value of a record whose side effect completed (the .lua scripts spell it out too). */
export const IDEMPOTENCY_DONE = 'done';

/** Acquire script return codes. */
export const IDEMPOTENCY_ACQUIRED = 1;
export const IDEMPOTENCY_DONE_ALREADY = 2;
export const IDEMPOTENCY_BUSY = 3;

/** The scripts by their registered (versioned) names. */
export const LIMITER_SCRIPTS = {
  agentbus_token_bucket_v1: { lua: tokenBucketLua, numberOfKeys: 1 },
  agentbus_idem_acquire_v1: { lua: idempotencyAcquireLua, numberOfKeys: 1 },
  agentbus_idem_complete_v1: { lua: idempotencyCompleteLua, numberOfKeys: 1 },
  agentbus_idem_release_v1: { lua: idempotencyReleaseLua, numberOfKeys: 1 },
  agentbus_idem_renew_v1: { lua: idempotencyRenewLua, numberOfKeys: 1 },
} as const;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** token-bucket.lua: `[allowed 0|1, remaining, retryAfterMs]`. */
    agentbus_token_bucket_v1(
      bucket: string,
      capacity: number,
      refillPerSecond: number,
      tokens: number,
    ): IoResult<[number, number, number], Context>;
    agentbus_idem_acquire_v1(record: string, lease: string, leaseMs: number): IoResult<[number, number], Context>;
    agentbus_idem_complete_v1(record: string, lease: string, ttlMs: number): IoResult<number, Context>;
    agentbus_idem_release_v1(record: string, lease: string): IoResult<number, Context>;
    agentbus_idem_renew_v1(record: string, lease: string, leaseMs: number): IoResult<number, Context>;
  }
}


/** Registers the rate-limiter and idempotency scripts on a connection (idempotent). */
export function defineLimiterScripts(client: Redis | Cluster): void {
  defineScripts(client, LIMITER_SCRIPTS);
}
