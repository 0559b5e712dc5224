import { z } from 'zod';
import {
  PRIORITIES,
  contextSchema,
  findingSchema,
  remediationScanSchema,
  sessionSummarySchema,
  swarmAgentSchema,
  swarmRegistrySchema,
  taskSchema,
} from '@agentbus/schema';

/**
 * What the broker answers, as zod schemas: the OpenAPI document is generated from them and the
 * HTTP client validates every answer with them, so a broker and a client that disagree fail
 * loudly at the boundary instead of deep inside a caller.
 */

/** Every 4xx/5xx body. */
export const errorBodySchema = z.object({
  /** A stable code: UNAUTHORIZED, FORBIDDEN, INVALID_MESSAGE, NOT_FOUND, CONFLICT, RATE_LIMITED, BACKPRESSURE, ... */
  error: z.string(),
  /** One sentence saying why, and what to change. */
  reason: z.string(),
  /** The failing field of a 400 (`body.confidence`, `query.limit`). */
  path: z.string().optional(),
  issues: z.array(z.object({ path: z.string(), rule: z.string(), message: z.string() })).optional(),
  /** 429 / 503: when trying again may succeed (also the Retry-After header, in seconds). */
  retryAfterMs: z.number().optional(),
  requestId: z.string().optional(),
});
export type ErrorBody = z.output<typeof errorBodySchema>;

export const publishResultSchema = z.object({
  id: z.string(),
  streamId: z.string(),
  topic: z.string(),
  duplicate: z.boolean(),
});
export type PublishResponse = z.output<typeof publishResultSchema>;

export const channelPublishResultSchema = z.object({
  id: z.string(),
  channel: z.string(),
  /** Subscribers that received it (0 on Redis Cluster: not known). */
  receivers: z.number().int(),
});
export type ChannelPublishResponse = z.output<typeof channelPublishResultSchema>;

const consumerInfoSchema = z.object({ name: z.string(), pending: z.number(), idleMs: z.number() });
const groupInfoSchema = z.object({
  name: z.string(),
  consumers: z.array(consumerInfoSchema),
  pending: z.number(),
  lag: z.number().nullable(),
  lastDeliveredId: z.string(),
});
const laneStatsSchema = z.object({
  lane: z.enum(PRIORITIES),
  stream: z.string(),
  length: z.number(),
  firstId: z.string().nullable(),
  lastId: z.string().nullable(),
  groups: z.array(groupInfoSchema),
});
export const topicStatsSchema = z.object({
  topic: z.string(),
  partitions: z.number(),
  length: z.number(),
  firstId: z.string().nullable(),
  lastId: z.string().nullable(),
  groups: z.array(groupInfoSchema),
  streams: z.array(laneStatsSchema),
  droppedUnacked: z.number(),
});

export const trimResultSchema = z.object({ trimmed: z.number(), droppedUnacked: z.number() });

export const deadLetterSchema = z.object({
  id: z.string(),
  topic: z.string(),
  partitionTopic: z.string(),
  lane: z.enum(PRIORITIES),
  reason: z.string(),
  error: z.string(),
  raw: z.string(),
  envelopeId: z.string().optional(),
  attempts: z.array(z.object({ attempt: z.number(), at: z.number(), error: z.string() })),
  group: z.string(),
  consumer: z.string(),
  streamId: z.string(),
  at: z.number(),
});
export const deadLetterListSchema = z.object({
  topic: z.string(),
  /** Dead letters waiting, over all partitions. */
  depth: z.number(),
  items: z.array(deadLetterSchema),
});
export const replayResultSchema = z.object({
  replayed: z.number(),
  skipped: z.array(z.object({ id: z.string(), error: z.string() })),
});
export const purgeResultSchema = z.object({ purged: z.number() });

const invalidRecordSchema = z.looseObject({ key: z.string(), code: z.string(), field: z.string().optional(), message: z.string() });
export const taskResponseSchema = taskSchema;
export const taskListSchema = z.object({ items: z.array(taskSchema), invalid: z.array(invalidRecordSchema) });
export const claimNextResultSchema = z.object({ task: taskSchema.nullable() });
export const findingResponseSchema = findingSchema;
export const findingListSchema = z.object({ items: z.array(findingSchema), invalid: z.array(invalidRecordSchema) });
export const conflictReportSchema = z.object({
  task_id: z.string(),
  threshold: z.number(),
  findings: z.number(),
  conflicts: z.array(
    z.object({ task_id: z.string(), higher: findingSchema, lower: findingSchema, gap: z.number(), reason: z.enum(['different_claims', 'opposed_acts']) }),
  ),
  invalid: z.array(invalidRecordSchema),
});
export const escalationResultSchema = z.object({ task: taskSchema, id: z.string(), topic: z.string(), streamId: z.string() });
export const contextResponseSchema = contextSchema;
export const sessionResponseSchema = sessionSummarySchema;
export const registryResponseSchema = swarmRegistrySchema;
export const swarmAgentResponseSchema = swarmAgentSchema;
export const remediationScanResponseSchema = remediationScanSchema;

export const liveSchema = z.object({ status: z.literal('ok'), uptimeSeconds: z.number() });
export const readySchema = z.object({
  status: z.enum(['ready', 'unavailable']),
  backend: z.enum(['redis', 'memory']),
  latencyMs: z.number(),
  error: z.string().optional(),
});

const topicHealthSchema = z.object({
  topic: z.string(),
  length: z.number().optional(),
  groups: z.array(z.object({ name: z.string(), pending: z.number(), lag: z.number().nullable(), consumers: z.number() })).optional(),
  /** Largest lag over the groups (null: Redis cannot tell). */
  maxLag: z.number().nullable().optional(),
  deadLetters: z.number().optional(),
  delayedRetries: z.number().optional(),
  error: z.string().optional(),
});
export const comprehensiveHealthSchema = z.object({
  /** ok; degraded (breaker not closed, dead letters waiting, a topic unreadable); down (the backend does not answer). */
  status: z.enum(['ok', 'degraded', 'down']),
  checkedAt: z.string(),
  uptimeSeconds: z.number(),
  backend: z.looseObject({ ok: z.boolean(), backend: z.enum(['redis', 'memory']), latencyMs: z.number() }),
  /** INFO sections of the Redis server (absent on the memory backend). */
  redisInfo: z.record(z.string(), z.record(z.string(), z.string())).optional(),
  memory: z.object({ rss: z.number(), heapUsed: z.number(), heapTotal: z.number(), external: z.number() }),
  breaker: z.looseObject({ state: z.string() }),
  topics: z.array(topicHealthSchema),
  reasons: z.array(z.string()),
});
export type ComprehensiveHealth = z.output<typeof comprehensiveHealthSchema>;
