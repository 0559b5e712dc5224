import { z } from 'zod';
import type { KeyBuilder } from '../keys';
import { defineModel, jsonCodec } from '../internal/model';
import { jsonObjectSchema, optionalText, timestampSchema } from './fields';

export const REMEDIATION_SCAN_TTL_SECONDS = 7 * 24 * 60 * 60;

/** One key found breaking the key conventions (e.g. a `task:*` key that is a string, not a hash). */
export const remediationViolationSchema = z.looseObject({
  key: z.string().min(1),
  /** Redis TYPE the key should have (`hash`, `string`, ...). */
  expected_type: z.string().min(1),
  actual_type: z.string().min(1),
  issue: z.string().min(1),
});
export type RemediationViolation = z.output<typeof remediationViolationSchema>;

// Older Python scans write these names; read them as the current ones. The old name is dropped
// so that a later encode cannot carry two disagreeing counts.
const PYTHON_NAMES: ReadonlyArray<readonly [string, string]> = [
  ['wrongtype_found', 'wrong_type_found'],
  ['actions_taken', 'actions'],
  ['created_at', 'timestamp'],
];

function renamePythonFields(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const renamed: Record<string, unknown> = { ...value };
  for (const [old, name] of PYTHON_NAMES) {
    if (old in renamed && !(name in renamed)) {
      renamed[name] = renamed[old];
      delete renamed[old];
    }
  }
  return renamed;
}

/** `swarm:remediation:{date}:{scan_type}`: result of one key-hygiene scan, as a JSON string value. */
export const remediationScanSchema = z.preprocess(
  renamePythonFields,
  z.looseObject({
    date: optionalText(512),
    scan_type: optionalText(512),
    keys_scanned: z.number().int().nonnegative(),
    wrong_type_found: z.number().int().nonnegative(),
    expired_found: z.number().int().nonnegative().optional(),
    violations: z.array(remediationViolationSchema),
    /** What the scan did: text (`deleted task:x`) or structured records. */
    actions: z.array(z.union([z.string(), jsonObjectSchema])),
    timestamp: timestampSchema,
  }),
);
export type RemediationScan = z.output<typeof remediationScanSchema>;

export const RemediationScanModel = defineModel({
  name: 'remediation scan',
  schema: remediationScanSchema,
  codec: jsonCodec(remediationScanSchema, 'remediation scan'),
  key: (keys: KeyBuilder, date: string, scanType: string) => keys.remediation(date, scanType),
  ttlSeconds: REMEDIATION_SCAN_TTL_SECONDS,
});
