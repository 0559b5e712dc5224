import { z } from 'zod';
import { SPEECH_ACTS } from '../envelope';
import type { KeyBuilder } from '../keys';
import { defineModel, hashCodec, jsonCodec } from '../internal/model';
import { citationSchema, keyPartSchema, lenientEnum, optionalText, timestampSchema } from './fields';

export const FINDING_TTL_SECONDS = 24 * 60 * 60;

/** `finding:{id}`: a claim a worker makes, how sure it is, and what backs it. */
export const findingSchema = z.looseObject({
  id: keyPartSchema,
  claim: z.string(),
  /** 0 = no confidence (an escalation), 1 = certain. */
  confidence: z.number().min(0).max(1),
  /** URIs: `if://citation/...`, `https://...`, `finding:{id}` for a finding this one rests on. */
  citations: z.array(citationSchema),
  speech_act: lenientEnum(SPEECH_ACTS),
  worker_id: z.string().min(1).max(256),
  /** Task the finding belongs to; absent for a free-standing finding. */
  task_id: optionalText(512),
  timestamp: timestampSchema,
});
export type Finding = z.output<typeof findingSchema>;

/** Findings are stored as one JSON string value. */
export const FindingModel = defineModel({
  name: 'finding',
  schema: findingSchema,
  codec: jsonCodec(findingSchema, 'finding'),
  key: (keys: KeyBuilder, id: string) => keys.finding(id),
  ttlSeconds: FINDING_TTL_SECONDS,
});

/**
 * Reads (and writes) a finding kept as a HASH, the way older Python agents store it (HSET with
 * `confidence` as text and `citations` as JSON text). Use it when `TYPE finding:{id}` says `hash`.
 */
export const FindingHashCodec = hashCodec(findingSchema, 'finding');
