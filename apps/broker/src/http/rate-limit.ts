import type { FastifyReply } from 'fastify';
import { ERROR_CODES } from '@agentbus/schema';
import type { Principal } from '../auth/principal';
import type { BrokerContext } from '../broker-context';
import { HttpError } from './http-error';
import type { RateLimitBucket } from './route';

/** Takes one token of the principal's bucket for `bucket`; a 429 with Retry-After when it is empty. */
export async function enforceRateLimit(ctx: BrokerContext, p: Principal, bucket: RateLimitBucket, reply: FastifyReply): Promise<void> {
  if (!ctx.limiter) return;
  const d = await ctx.limiter.take(p.tokenId, bucket, 1, p.rateLimit);
  reply.header('x-ratelimit-remaining', String(d.remaining));
  if (d.allowed) return;
  ctx.metrics.rateLimited(bucket);
  throw new HttpError(
    429,
    ERROR_CODES.RATE_LIMITED,
    `token ${p.label} is over its ${bucket} rate (${p.rateLimit?.capacity ?? ctx.limiter.options.capacity} burst, ${p.rateLimit?.refillPerSecond ?? ctx.limiter.options.refillPerSecond}/s; broker option rateLimit, BROKER_RATE_CAPACITY / BROKER_RATE_REFILL, or the token's rateLimit): retry after ${d.retryAfterMs} ms`,
    { retryAfterMs: d.retryAfterMs },
  );
}
