import { AgentbusError, ERROR_CODES } from '@agentbus/schema';
import { toAgentbusError, type Transport } from '@agentbus/transport';
import { RateLimitedError } from './errors';
import { defineLimiterScripts } from './redis/limiter-scripts';

/** How a bucket fills; every field optional, per limiter or per call. */
export interface TokenBucketOptions {
  /** The most tokens a bucket holds: the largest burst allowed after a quiet period. Default 10. */
  capacity?: number;
  /** Tokens added back per second, up to `capacity`: the sustained rate. Default 10. */
  refillPerSecond?: number;
}

export interface RateLimiterOptions extends TokenBucketOptions {
  /**
   * Clock of the memory backend (ms since epoch), for tests. Default `Date.now`. Ignored on Redis,
   * which always uses the server's clock (`TIME`), so processes with skewed clocks agree.
   */
  now?: () => number;
}

/** The outcome of one `take`. */
export interface RateLimitDecision {
  /** The tokens were taken. */
  allowed: boolean;
  /** Whole tokens left in the bucket after this call. */
  remaining: number;
  /** 0 when allowed; else ms until the bucket holds enough tokens for this request. */
  retryAfterMs: number;
}

/** Token buckets per (tenant, operation), shared by every process on the same Redis. */
export interface RateLimiter {
  /** The options in force (defaults filled in). */
  readonly options: Readonly<Required<TokenBucketOptions>>;
  /**
   * Takes `tokens` (default 1) from the bucket of (tenant, operation) if it holds that many;
   * otherwise takes nothing and says how long to wait. `overrides` replace capacity / refill
   * for this call (e.g. a tenant's plan); a bucket should keep the same settings across calls.
   * `tokens = 0` only reads the bucket.
   */
  take(tenant: string, operation: string, tokens?: number, overrides?: TokenBucketOptions): Promise<RateLimitDecision>;
  /** As `take`, but a refusal throws RateLimitedError (code RATE_LIMITED, retryable, with `retryAfterMs`). */
  consume(tenant: string, operation: string, tokens?: number, overrides?: TokenBucketOptions): Promise<RateLimitDecision>;
  /** Forgets the bucket of (tenant, operation): it is full again. */
  reset(tenant: string, operation: string): Promise<void>;
}

/** The defaults of every RateLimiterOptions field. */
export const DEFAULT_RATE_LIMITER_OPTIONS = {
  capacity: 10,
  refillPerSecond: 10,
} as const satisfies Required<TokenBucketOptions>;

/** Rounding slack, the same as token-bucket.lua's: a token that has fully arrived is never refused. */
const EPSILON = 1e-9;

interface BucketState {
  tokens: number;
  ts: number;
  /** The clock time past which the bucket would be full; Redis's PEXPIRE. */
  expiresAt: number;
}

type Buckets = Map<string, BucketState>;

/** Memory-backend buckets per transport, so limiters on one transport share them as on Redis. */
const memoryBuckets = new WeakMap<Transport, Buckets>();

function invalid(message: string): AgentbusError {
  return new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, message);
}

function checkPositive(value: number, name: string, where: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalid(`${where}: ${name} must be a finite number > 0, got ${String(value)} (set ${name})`);
  }
}

function resolveBucket(base: Required<TokenBucketOptions>, overrides: TokenBucketOptions | undefined, where: string): Required<TokenBucketOptions> {
  const resolved = {
    capacity: overrides?.capacity ?? base.capacity,
    refillPerSecond: overrides?.refillPerSecond ?? base.refillPerSecond,
  };
  checkPositive(resolved.capacity, 'capacity', where);
  checkPositive(resolved.refillPerSecond, 'refillPerSecond', where);
  return resolved;
}

function checkTokens(tokens: number, capacity: number, where: string): void {
  if (typeof tokens !== 'number' || !Number.isFinite(tokens) || tokens < 0) {
    throw invalid(`${where}: tokens must be a finite number >= 0, got ${String(tokens)}`);
  }
  if (tokens > capacity) {
    throw invalid(`${where}: asks for ${tokens} tokens, more than the bucket's capacity of ${capacity}, so it could never be allowed (raise capacity)`);
  }
}

/** The memory twin of token-bucket.lua: the same arithmetic, on an injectable clock. */
function takeFromMemoryBucket(
  buckets: Buckets,
  key: string,
  now: number,
  capacity: number,
  rate: number,
  want: number,
): RateLimitDecision {
  let tokens = capacity;
  let ts = now;
  const state = buckets.get(key);
  if (state && now < state.expiresAt) {
    if (now > state.ts) {
      tokens = Math.min(capacity, state.tokens + ((now - state.ts) * rate) / 1000);
    } else {
      tokens = Math.min(capacity, state.tokens);
      ts = state.ts;
    }
  } else if (state) {
    buckets.delete(key);
  }
  if (want <= tokens + EPSILON) {
    tokens = Math.max(0, tokens - want);
    if (want > 0) {
      buckets.set(key, { tokens, ts, expiresAt: now + Math.ceil(((capacity - tokens) * 1000) / rate) + 1 });
    }
    return { allowed: true, remaining: Math.floor(tokens + EPSILON), retryAfterMs: 0 };
  }
  return {
    allowed: false,
    remaining: Math.floor(tokens + EPSILON),
    retryAfterMs: Math.ceil(((want - tokens) * 1000) / rate),
  };
}

/** Drops the buckets that would be full by now (Redis's PEXPIRE), so idle tenants cost nothing. */
function sweep(buckets: Buckets, now: number): void {
  for (const [key, state] of buckets) if (now >= state.expiresAt) buckets.delete(key);
}

/**
 * A token-bucket rate limiter per (tenant, operation). On Redis every take is one Lua script
 * (token-bucket.lua), atomic across processes and timed by the server's clock; a bucket is a hash
 * at `keys.key('ratelimit', tenant, operation)` that expires once it would be full again. On the
 * memory backend the buckets live in this process (shared by limiters on the same transport).
 */
export function createRateLimiter(transport: Transport, options: RateLimiterOptions = {}): RateLimiter {
  const base = resolveBucket(
    {
      capacity: options.capacity ?? DEFAULT_RATE_LIMITER_OPTIONS.capacity,
      refillPerSecond: options.refillPerSecond ?? DEFAULT_RATE_LIMITER_OPTIONS.refillPerSecond,
    },
    undefined,
    'createRateLimiter',
  );
  const clock = options.now ?? Date.now;
  const redis = transport.redis;
  if (redis) defineLimiterScripts(redis);

  let buckets = memoryBuckets.get(transport);
  if (!buckets) {
    buckets = new Map();
    memoryBuckets.set(transport, buckets);
  }
  const memory = buckets;
  let calls = 0;

  const keyOf = (tenant: string, operation: string): string => transport.keys.key('ratelimit', tenant, operation);

  const take = async (
    tenant: string,
    operation: string,
    tokens = 1,
    overrides?: TokenBucketOptions,
  ): Promise<RateLimitDecision> => {
    const where = `rate limit ${tenant}/${operation}`;
    const bucket = resolveBucket(base, overrides, where);
    checkTokens(tokens, bucket.capacity, where);
    const key = keyOf(tenant, operation);
    if (redis) {
      let reply: [number, number, number];
      try {
        reply = await redis.agentbus_token_bucket_v1(key, bucket.capacity, bucket.refillPerSecond, tokens);
      } catch (error) {
        throw toAgentbusError(error);
      }
      const [allowed, remaining, retryAfterMs] = reply;
      return { allowed: allowed === 1, remaining: Number(remaining), retryAfterMs: Number(retryAfterMs) };
    }
    const now = clock();
    if (++calls % 1024 === 0) sweep(memory, now);
    return takeFromMemoryBucket(memory, key, now, bucket.capacity, bucket.refillPerSecond, tokens);
  };

  return {
    options: base,
    take,
    async consume(tenant, operation, tokens, overrides) {
      const decision = await take(tenant, operation, tokens, overrides);
      if (!decision.allowed) throw new RateLimitedError(`${tenant}/${operation}`, decision.retryAfterMs);
      return decision;
    },
    async reset(tenant, operation) {
      const key = keyOf(tenant, operation);
      if (redis) {
        try {
          await redis.del(key);
        } catch (error) {
          throw toAgentbusError(error);
        }
        return;
      }
      memory.delete(key);
    },
  };
}
