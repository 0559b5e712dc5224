import { z } from 'zod';
import type { KeyBuilder } from '../keys';
import { defineModel, hashCodec, jsonCodec } from '../internal/model';
import { jsonObjectSchema, optionalText, timestampSchema } from './fields';

export const CONTEXT_TTL_SECONDS = 24 * 60 * 60;

// Python agents keep notes as one text and the timeline as [timestamp, event] pairs; both are
// read into the list forms below.
function notesFromText(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  return value === '' ? [] : [value];
}

function entryFromPair(value: unknown): unknown {
  return Array.isArray(value) && value.length === 2 ? { at: value[0], event: value[1] } : value;
}

/** One event of a context's timeline; other fields an agent adds are kept. */
export const timelineEntrySchema = z.preprocess(
  entryFromPair,
  z.looseObject({ at: timestampSchema, event: z.string().min(1) }),
);
export type TimelineEntry = z.output<typeof timelineEntrySchema>;

/** `context:{scope}:{name}`: notes and data agents share while they work on the same thing. */
export const contextSchema = z.looseObject({
  notes: z.preprocess(notesFromText, z.array(z.string()).default([])),
  timeline: z.array(timelineEntrySchema).default([]),
  topics: z.array(z.string()).default([]),
  shared_data: jsonObjectSchema.default({}),
  scope: optionalText(512),
  name: optionalText(512),
  updated_at: timestampSchema.optional(),
});
export type Context = z.output<typeof contextSchema>;

/** Contexts are stored as one JSON string value. */
export const ContextModel = defineModel({
  name: 'context',
  schema: contextSchema,
  codec: jsonCodec(contextSchema, 'context'),
  key: (keys: KeyBuilder, scope: string, name: string) => keys.context(scope, name),
  ttlSeconds: CONTEXT_TTL_SECONDS,
});

/** Reads (and writes) a context kept as a HASH, as older Python agents store it. */
export const ContextHashCodec = hashCodec(contextSchema, 'context');
