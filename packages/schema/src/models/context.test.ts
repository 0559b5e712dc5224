import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createKeyBuilder } from '../keys';
import { unwrap } from '../result';
import { CONTEXT_TTL_SECONDS, ContextHashCodec, ContextModel, type Context } from './context';

// JSON has no -0: compare values as they survive JSON.stringify.
const jsonValue = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown);

const context: Context = {
  notes: ['XAUTOCLAIM needs 6.2', 'cluster mode later'],
  timeline: [{ at: '2025-11-30T09:00:00.000Z', event: 'task claimed', by: 'haiku-1' }],
  topics: ['redis', 'streams'],
  shared_data: { budget: { tokens: 2000 } },
};

describe('ContextModel', () => {
  it('keeps the context:{scope}:{name} key shape with a 24 h TTL', () => {
    expect(ContextModel.key(createKeyBuilder(''), 'task', 't-1')).toBe('context:task:t-1');
    expect(ContextModel.key(createKeyBuilder(), 'task', 't-1')).toBe('agentbus:context:task:t-1');
    expect(ContextModel.format).toBe('json');
    expect(ContextModel.ttlSeconds).toBe(CONTEXT_TTL_SECONDS);
  });

  it('round-trips, keeping extra fields of timeline entries', () => {
    expect(unwrap(ContextModel.decode(ContextModel.encode(context)))).toEqual(context);
  });

  it('fills in empty lists for a context that only has some parts', () => {
    expect(unwrap(ContextModel.decode('{"topics":["a"]}'))).toEqual({
      notes: [],
      timeline: [],
      topics: ['a'],
      shared_data: {},
    });
  });

  it('reads the notes text and [timestamp, event] pairs Python agents write, from a hash', () => {
    const c = unwrap(
      ContextHashCodec.decode({
        scope: 'task',
        name: 'task-123',
        notes: 'Important findings',
        timeline: '[["2025-11-30T09:00:00.000001", "claimed"], ["2025-11-30T09:05:00", "done"]]',
        topics: '["research", "verification"]',
        shared_data: '{}',
        updated_at: '2025-11-30T09:05:00.5',
      }),
    );
    expect(c).toEqual({
      scope: 'task',
      name: 'task-123',
      notes: ['Important findings'],
      timeline: [
        { at: '2025-11-30T09:00:00.000Z', event: 'claimed' },
        { at: '2025-11-30T09:05:00.000Z', event: 'done' },
      ],
      topics: ['research', 'verification'],
      shared_data: {},
      updated_at: '2025-11-30T09:05:00.500Z',
    });
    expect(unwrap(ContextHashCodec.decode({ notes: '' })).notes).toEqual([]);
  });

  it.each([
    ['notes', [1], 'notes.0', 'invalid_type'],
    ['timeline', [{ at: 'later', event: 'x' }], 'timeline.0.at', 'invalid_format'],
    ['timeline', [{ at: 0, event: '' }], 'timeline.0.event', 'too_small'],
    ['topics', 'redis', 'topics', 'invalid_type'],
    ['shared_data', [], 'shared_data', 'invalid_type'],
  ])('names a bad %s and its rule', (field, value, path, rule) => {
    const r = ContextModel.decode(JSON.stringify({ ...context, [field]: value }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.issues[0]).toMatchObject({ path, rule });
  });

  it('round-trips any valid context through JSON and hash (property)', () => {
    const key = fc.string().filter((k) => k !== '__proto__');
    const arb = fc.record({
      notes: fc.array(fc.string()),
      timeline: fc.array(
        fc.record({
          at: fc.date({ min: new Date(0), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
          event: fc.string({ minLength: 1 }),
        }),
      ),
      topics: fc.array(fc.string()),
      shared_data: fc.dictionary(key, jsonValue),
    });
    fc.assert(
      fc.property(arb, (c) => {
        expect(unwrap(ContextModel.decode(ContextModel.encode(c)))).toEqual(c);
        expect(unwrap(ContextHashCodec.decode(ContextHashCodec.encode(c)))).toEqual(c);
      }),
    );
  });
});
