import { z } from 'zod';
import { streamIdSchema, topicNameSchema } from './names';

export const topicParamsSchema = z.strictObject({ topic: topicNameSchema });
export const channelParamsSchema = z.strictObject({ channel: z.string().regex(/^[^\s{}]{1,512}$/, 'must be 1-512 characters without whitespace or braces') });
export const deadLetterParamsSchema = z.strictObject({ topic: topicNameSchema, id: streamIdSchema });

/** Query of GET /v1/topics/:topic/dlq: oldest first. */
export const deadLetterListQuerySchema = z.strictObject({
  /** Default 50. */
  count: z.coerce.number().int().min(1).max(1_000).default(50),
  from: streamIdSchema.optional(),
  to: streamIdSchema.optional(),
});

/**
 * Body of POST /v1/topics/:topic/dlq/replay: exactly one of `ids`, `all: true` or a range
 * (`from`, `to`, `count`); `destination` republishes to another topic.
 */
export const replayBodySchema = z
  .strictObject({
    ids: z.array(streamIdSchema).min(1).max(10_000).optional(),
    all: z.literal(true).optional(),
    from: streamIdSchema.optional(),
    to: streamIdSchema.optional(),
    count: z.number().int().min(1).max(1_000_000).optional(),
    /** Default: each message's own topic (and partition). */
    destination: topicNameSchema.optional(),
  })
  .superRefine((b, ctx) => {
    const range = b.from !== undefined || b.to !== undefined || b.count !== undefined;
    const modes = [b.ids !== undefined, b.all === true, range].filter(Boolean).length;
    if (modes !== 1) {
      ctx.addIssue({ code: 'custom', path: [], message: 'give exactly one of ids, all: true, or a range (from, to, count)' });
    }
  });
export type ReplayBody = z.input<typeof replayBodySchema>;

const idList = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
  .pipe(z.array(streamIdSchema).min(1).max(10_000));

/** Query of DELETE /v1/topics/:topic/dlq: `ids=a,b` or `all=true` (an empty DELETE purges nothing). */
export const purgeQuerySchema = z
  .strictObject({
    ids: idList.optional(),
    all: z.enum(['true']).optional(),
  })
  .superRefine((q, ctx) => {
    if ((q.ids === undefined) === (q.all === undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: 'give exactly one of ids=<id,id,...> or all=true' });
    }
  });

/** Body of POST /v1/topics/:topic/trim; empty applies the topic's own retention policy. */
export const trimBodySchema = z.strictObject({
  /** Keep entries newer than this (ms). */
  maxAgeMs: z.number().int().min(0).optional(),
  /** Keep about this many entries (MAXLEN ~); at least 1. */
  maxLen: z.number().int().min(1).optional(),
  /** Hard cap: drops entries even if a group has not acked them (counted); at least 1. */
  hardMaxLen: z.number().int().min(1).optional(),
});
export type TrimBody = z.input<typeof trimBodySchema>;
