import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createEnvelope, envelopeSchema } from '../envelope';
import { appendCustody } from '../custody';
import { isPlainValidEnvelope } from './fast-envelope';

const valid = appendCustody(
  createEnvelope({ type: 'task_request', from: 'a', payload: { x: 1 }, ttlMs: 5, correlationId: 'c', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }),
  { agent: 'a', action: 'publish' },
);

// Field values that are sometimes right and often wrong, to probe every rule.
const anyValue = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.integer(),
  fc.double(),
  fc.string(),
  fc.constantFrom('', 'inform', 'urgent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'a'.repeat(257)),
  fc.constant([]),
  fc.constant([{ agent: 'a', action: 'b', at: 1, prev: 'f'.repeat(64) }]),
  fc.constant([{ agent: 'a', action: 'b', at: 1, prev: 'f'.repeat(64), extra: 1 }]),
  fc.jsonValue(),
);

describe('isPlainValidEnvelope (hot-path check)', () => {
  it('accepts a full valid envelope', () => {
    expect(isPlainValidEnvelope(JSON.parse(JSON.stringify(valid)))).toBe(true);
    expect(envelopeSchema.safeParse(valid).success).toBe(true);
  });

  it('never accepts what the zod schema rejects (property)', () => {
    const keys = [...Object.keys(valid), 'ttlMs', 'causationId', 'sig', 'custody', 'unknown'];
    fc.assert(
      fc.property(fc.constantFrom(...keys), anyValue, fc.constantFrom(...keys), anyValue, (k1, v1, k2, v2) => {
        const candidate = { ...JSON.parse(JSON.stringify(valid)), [k1]: v1, [k2]: v2 } as Record<string, unknown>;
        if (isPlainValidEnvelope(candidate)) {
          expect(envelopeSchema.safeParse(candidate).success).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('rejects non-objects', () => {
    for (const v of [null, 1, 'x', [], undefined]) expect(isPlainValidEnvelope(v)).toBe(false);
  });
});
