import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SPEECH_ACTS } from '../envelope';
import { ValidationError } from '../errors';
import { createKeyBuilder } from '../keys';
import { unwrap } from '../result';
import { FINDING_TTL_SECONDS, FindingHashCodec, FindingModel, type Finding } from './finding';

const finding: Finding = {
  id: 'f-1',
  claim: 'XAUTOCLAIM exists since Redis 6.2',
  confidence: 0.95,
  citations: ['if://citation/abc', 'https://redis.io/commands/xautoclaim/'],
  speech_act: 'inform',
  worker_id: 'haiku-1',
  task_id: 't-1',
  timestamp: '2025-11-30T09:00:00.000Z',
};

describe('FindingModel', () => {
  it('keeps the finding:{id} key shape as one JSON value with a 24 h TTL', () => {
    expect(FindingModel.key(createKeyBuilder(''), 'f-1')).toBe('finding:f-1');
    expect(FindingModel.key(createKeyBuilder('swarm'), 'f-1')).toBe('swarm:finding:f-1');
    expect(FindingModel.format).toBe('json');
    expect(FindingModel.ttlSeconds).toBe(FINDING_TTL_SECONDS);
    expect(JSON.parse(FindingModel.encode(finding))).toEqual(finding);
  });

  it('round-trips', () => {
    expect(unwrap(FindingModel.decode(FindingModel.encode(finding)))).toEqual(finding);
  });

  it('reads a free-standing finding written with task_id ""', () => {
    const f = unwrap(FindingModel.decode(JSON.stringify({ ...finding, task_id: '' })));
    expect(f.task_id).toBeUndefined();
  });

  it.each([
    ['confidence', 1.5, 'too_big'],
    ['confidence', -0.1, 'too_small'],
    ['confidence', '0.9', 'invalid_type'],
    ['citations', 'if://citation/abc', 'invalid_type'],
    ['speech_act', 'shout', 'invalid_value'],
    ['worker_id', '', 'too_small'],
    ['timestamp', 'now', 'invalid_format'],
    ['id', 'f 1', 'invalid_format'],
  ])('names a bad %s (%j) and the rule %s', (field, value, rule) => {
    const r = FindingModel.decode(JSON.stringify({ ...finding, [field]: value }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toBeInstanceOf(ValidationError);
    expect(r.error.issues[0]).toMatchObject({ path: field, rule });
  });

  it('names the one citation that is no URI', () => {
    const r = FindingModel.decode(JSON.stringify({ ...finding, citations: ['if://citation/a', 'see the paper'] }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.issues[0]).toMatchObject({ path: 'citations.1', rule: 'invalid_format' });
  });

  it('refuses to encode a confidence outside [0, 1]', () => {
    expect(() => FindingModel.encode({ ...finding, confidence: 2 })).toThrow(/confidence/);
  });

  it('reads a finding a Python agent stored as a hash', () => {
    const f = unwrap(
      FindingHashCodec.decode({
        id: '9f8e7d6c',
        claim: 'X is true',
        confidence: '0.95',
        citations: '["if://citation/uuid1", "finding:1a2b3c4d"]',
        timestamp: '2025-11-30T09:15:02.123456',
        worker_id: 'haiku-1',
        task_id: '',
        speech_act: 'escalate',
        ttl_seconds: '86400',
      }),
    );
    expect(f).toMatchObject({
      confidence: 0.95,
      citations: ['if://citation/uuid1', 'finding:1a2b3c4d'],
      speech_act: 'escalate',
      timestamp: '2025-11-30T09:15:02.123Z',
    });
    expect(f.task_id).toBeUndefined();
    expect(FindingHashCodec.decode({ ...FindingHashCodec.encode(f), confidence: '1.01' })).toMatchObject({
      ok: false,
      error: { issues: [expect.objectContaining({ path: 'confidence', rule: 'too_big' })] },
    });
  });

  it('round-trips any valid finding through JSON and hash (property)', () => {
    const arb = fc.record(
      {
        id: fc.stringMatching(/^[A-Za-z0-9._:-]{1,40}$/),
        claim: fc.string(),
        confidence: fc.double({ min: 0, max: 1, noNaN: true }).map((c) => (c === 0 ? 0 : c)),
        citations: fc.array(
          fc.oneof(
            fc.webUrl(),
            fc.stringMatching(/^[a-z0-9-]{1,20}$/).map((s) => `if://citation/${s}`),
          ),
        ),
        speech_act: fc.constantFrom(...SPEECH_ACTS),
        worker_id: fc.string({ minLength: 1, maxLength: 256 }),
        task_id: fc.string({ minLength: 1, maxLength: 512 }),
        timestamp: fc.date({ min: new Date(0), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
      },
      { requiredKeys: ['id', 'claim', 'confidence', 'citations', 'speech_act', 'worker_id', 'timestamp'] },
    );
    fc.assert(
      fc.property(arb, (f) => {
        expect(unwrap(FindingModel.decode(FindingModel.encode(f)))).toEqual(f);
        expect(unwrap(FindingHashCodec.decode(FindingHashCodec.encode(f)))).toEqual(f);
      }),
    );
  });
});
