import { z } from 'zod';
import { PRIORITIES, SPEECH_ACTS, UUID_V7_RE, envelopeSchema } from '@agentbus/schema';

/**
 * What a client may send instead of a whole envelope: the broker fills in `id`, `ts`, `v` and
 * `from` (the token's agent). A signed envelope has to be sent whole, since `sig` covers every
 * field.
 */
export const envelopeInputSchema = z.strictObject({
  type: envelopeSchema.shape.type,
  /** Only needed without auth (dev mode); with a token it must be the token's agent, if given. */
  from: envelopeSchema.shape.from.optional(),
  to: envelopeSchema.shape.to.optional(),
  act: z.enum(SPEECH_ACTS).optional(),
  payload: z.unknown().refine((v) => v !== undefined, 'is required'),
  priority: z.enum(PRIORITIES).optional(),
  ttlMs: envelopeSchema.shape.ttlMs,
  correlationId: envelopeSchema.shape.correlationId,
  causationId: envelopeSchema.shape.causationId,
  traceparent: envelopeSchema.shape.traceparent,
  /** Give one to make a retried publish idempotent (with a dedupe window). */
  id: z.string().regex(UUID_V7_RE, 'must be a UUIDv7').optional(),
});
export type EnvelopeInputBody = z.output<typeof envelopeInputSchema>;

/** Body of POST /v1/topics/:topic/messages and /v1/channels/:channel/publish: a whole envelope, or the fields to build one. */
export const publishBodySchema = z.union([envelopeSchema, envelopeInputSchema]);
export type PublishBody = z.input<typeof publishBodySchema>;

/** Query of POST /v1/topics/:topic/messages. */
export const publishQuerySchema = z.strictObject({
  /** Picks the partition of a partitioned topic; same key, same partition, order kept. */
  partitionKey: z.string().min(1).max(512).optional(),
  /** Dedupe window for this publish (ms); 0 turns it off. */
  dedupeWindowMs: z.coerce.number().int().min(0).max(7 * 24 * 3_600_000).optional(),
});
