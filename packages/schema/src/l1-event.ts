import { z } from 'zod';
import { AgentbusError, ERROR_CODES, type ValidationError } from './errors';
import { jsonCodec } from './internal/model';
import { assertTopic } from './keys';
import type { Result } from './result';
import { jsonObjectSchema, timestampSchema } from './models/fields';

/**
 * An L1 event: one committed row of the agents' memory log (PostgreSQL), relayed by the bridge
 * to L2 consumers on the topic `mem0.recorded.<source_module>`.
 */
export const L1_EVENT_TYPES = ['prompt_trace', 'event_log'] as const;
export type L1EventType = (typeof L1_EVENT_TYPES)[number];

/** Prefix of the L2 topics; one topic per source module. */
export const L1_TOPIC_PREFIX = 'mem0.recorded';

// One topic level: no dots (they would add a level), colons or slashes (key separators).
const MODULE_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;
const MODULE_RULE = '1-100 of A-Z a-z 0-9 _ -, starting with a letter or digit';

const optionalId = z
  .string()
  .min(1)
  .max(256)
  .nullish()
  .transform((v) => v ?? null);

export const l1EventSchema = z.looseObject({
  /** Id of the row in the L1 log; a bigint column arrives as text or number and is kept as text. */
  base_log_id: z
    .union([z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 _ . : -'), z.number().int().nonnegative()])
    .transform(String),
  source_module: z.string().regex(MODULE_RE, `must be ${MODULE_RULE}`),
  timestamp: timestampSchema,
  /** Null when the row has none (a NULL column). */
  trace_id: optionalId,
  request_id: optionalId,
  event_type: z.enum(L1_EVENT_TYPES),
  data: jsonObjectSchema,
});
// Loose on purpose: a column added to the L1 table must not make L2 consumers drop events.
export type L1Event = z.output<typeof l1EventSchema>;

const codec = jsonCodec(l1EventSchema, 'L1 event');

/** JSON text of an L1 event; throws ValidationError for an invalid one (a bug in the producer). */
export function encodeL1Event(event: L1Event): string {
  return codec.encode(event);
}

/** Decodes JSON text into a validated L1 event; never throws. */
export function decodeL1Event(text: string): Result<L1Event, ValidationError> {
  return codec.decode(text);
}

/** The L2 topic of a source module: `mem0.recorded.<module>`; throws INVALID_ARGUMENT for an unsafe name. */
export function l1Topic(sourceModule: string): string {
  if (!MODULE_RE.test(sourceModule)) {
    throw new AgentbusError(
      ERROR_CODES.INVALID_ARGUMENT,
      `invalid source module ${JSON.stringify(sourceModule)}: use ${MODULE_RULE}`,
    );
  }
  const topic = `${L1_TOPIC_PREFIX}.${sourceModule}`;
  assertTopic(topic);
  return topic;
}
