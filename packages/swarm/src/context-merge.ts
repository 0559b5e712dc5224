import type { Context } from '@agentbus/schema';
import type { z } from 'zod';
import type { contextPatchSchema } from './inputs';

export type ParsedContextPatch = z.output<typeof contextPatchSchema>;

/**
 * Merges a patch into a context (what shareContext stores):
 * - `notes` and `timeline` are appended (a timeline entry without `at` gets `at = now`);
 * - `topics` are added once each, in first-seen order;
 * - `shared_data` is merged key by key: a key in the patch replaces the stored value;
 * - `scope`, `name` and `updated_at` are set; other stored fields are kept.
 */
export function mergeContext(
  current: Context | undefined,
  patch: ParsedContextPatch,
  scope: string,
  name: string,
  now: string,
): Context {
  const base: Context = current ?? { notes: [], timeline: [], topics: [], shared_data: {} };
  const notes = patch.notes === undefined ? [] : typeof patch.notes === 'string' ? [patch.notes] : patch.notes;
  const timeline = (patch.timeline ?? []).map((entry) => ({ ...entry, at: entry.at ?? now }));
  return {
    ...base,
    notes: [...base.notes, ...notes],
    timeline: [...base.timeline, ...timeline],
    topics: [...new Set([...base.topics, ...(patch.topics ?? [])])],
    shared_data: { ...base.shared_data, ...(patch.shared_data ?? {}) },
    scope,
    name,
    updated_at: now,
  };
}
