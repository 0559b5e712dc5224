import { z } from 'zod';
import type { KeyBuilder } from '../keys';
import { defineModel, jsonCodec } from '../internal/model';
import { keyPartSchema, optionalText, timestampSchema } from './fields';

/** Session summaries are kept for a month: they are the record of what a run did. */
export const SESSION_SUMMARY_TTL_SECONDS = 30 * 24 * 60 * 60;

/** `session:{project}:{date}:{label}`: what one swarm run did, as a JSON string value. */
export const sessionSummarySchema = z.looseObject({
  /** Usually `YYYY-MM-DD`; any key part is accepted as Python agents also write `YYYY-MM-DD-HHmmss`. */
  date: keyPartSchema,
  label: keyPartSchema,
  project: optionalText(512),
  summary: z.string(),
  /** Counters of the run (findings shared, held, escalated, ...). */
  metrics: z.record(z.string(), z.number()).default({}),
  created_at: timestampSchema,
});
export type SessionSummary = z.output<typeof sessionSummarySchema>;

export const SessionSummaryModel = defineModel({
  name: 'session summary',
  schema: sessionSummarySchema,
  codec: jsonCodec(sessionSummarySchema, 'session summary'),
  key: (keys: KeyBuilder, project: string, date: string, label: string) => keys.session(project, date, label),
  ttlSeconds: SESSION_SUMMARY_TTL_SECONDS,
});
