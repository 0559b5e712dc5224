import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { z } from 'zod';
import { createEnvelope, createReply, isExpired, SPEECH_ACTS, type Envelope } from './envelope';
import {
  createPayloadRegistry,
  decodeEnvelope,
  encodeEnvelope,
  validateEnvelope,
} from './envelope-codec';
import { ValidationError, PayloadTooLargeError } from './errors';
import { PRIORITIES } from './keys';
import { unwrap } from './result';
import { UUID_V7_RE } from './uuid';

const base = { type: 'task_request', from: 'planner', payload: { n: 1 } };

function roundTrip(env: Envelope): Envelope {
  return unwrap(decodeEnvelope(unwrap(encodeEnvelope(env))));
}

describe('createEnvelope', () => {
  it('fills id, ts, version and defaults', () => {
    const env = createEnvelope(base);
    expect(env.id).toMatch(UUID_V7_RE);
    expect(env).toMatchObject({ to: 'broadcast', act: 'inform', priority: 'normal', v: 1 });
    expect(Math.abs(env.ts - Date.now())).toBeLessThan(5000);
    expect(roundTrip(env)).toEqual(env);
  });

  it('keeps every optional field across the wire', () => {
    const env = createEnvelope({
      ...base,
      to: 'coder',
      act: 'request',
      priority: 'urgent',
      ttlMs: 5000,
      correlationId: 'c1',
      causationId: 'c0',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      id: '01890a5d-ac96-774b-bcce-b302099a8057',
      ts: 1000,
    });
    expect(roundTrip(env)).toEqual(env);
  });

  it('a reply answers the sender, keeps the correlation and the trace', () => {
    const req = createEnvelope({ ...base, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    const reply = createReply(req, { type: 'task_result', from: 'coder', payload: {} });
    expect(reply).toMatchObject({
      to: 'planner',
      correlationId: req.id,
      causationId: req.id,
      traceparent: req.traceparent,
    });
    const second = createReply(reply, { type: 'ack', from: 'planner', payload: {} });
    expect(second.correlationId).toBe(req.id);
  });

  it('expires only past ts + ttlMs', () => {
    const env = createEnvelope({ ...base, ts: 1000, ttlMs: 100 });
    expect(isExpired(env, 1100)).toBe(false);
    expect(isExpired(env, 1101)).toBe(true);
    expect(isExpired(createEnvelope(base), Number.MAX_SAFE_INTEGER)).toBe(false);
  });
});

describe('decodeEnvelope', () => {
  const good = createEnvelope(base);

  const cases: Array<[string, Record<string, unknown>, string, string]> = [
    ['id not v7', { id: 'abc' }, 'id', 'invalid_format'],
    ['type with space', { type: 'a b' }, 'type', 'invalid_format'],
    ['empty from', { from: '' }, 'from', 'too_small'],
    ['unknown act', { act: 'shout' }, 'act', 'invalid_value'],
    ['bad priority', { priority: 'asap' }, 'priority', 'invalid_value'],
    ['negative ttl', { ttlMs: -1 }, 'ttlMs', 'too_small'],
    ['fractional ts', { ts: 1.5 }, 'ts', 'invalid_type'],
    ['bad traceparent', { traceparent: 'x' }, 'traceparent', 'invalid_format'],
    ['wrong version', { v: 2 }, 'v', 'invalid_value'],
    ['unknown field', { extra: 1 }, '', 'unrecognized_keys'],
    ['bad custody hop', { custody: [{ agent: 'a', action: 'b', at: 1, prev: 'x' }] }, 'custody.0.prev', 'invalid_format'],
  ];
  it.each(cases)('%s: names the field and the rule', (_name, patch, path, rule) => {
    const r = decodeEnvelope(JSON.stringify({ ...good, ...patch }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toBeInstanceOf(ValidationError);
    const issue = (r.error as ValidationError).issues[0]!;
    expect(issue.path).toBe(path);
    expect(issue.rule).toBe(rule);
    expect(r.error.message).toContain(path || '(root)');
  });

  it('reports a missing field by name', () => {
    const { from: _from, ...rest } = good;
    const r = decodeEnvelope(JSON.stringify(rest));
    expect(!r.ok && (r.error as ValidationError).issues[0]).toMatchObject({ path: 'from', rule: 'invalid_type' });
  });

  it('turns malformed JSON into a typed error, not a throw', () => {
    const r = decodeEnvelope('{"id":');
    expect(r.ok).toBe(false);
    expect(!r.ok && (r.error as ValidationError).issues[0]!.rule).toBe('invalid_json');
  });

  it('accepts bytes as well as text', () => {
    expect(unwrap(decodeEnvelope(Buffer.from(JSON.stringify(good))))).toEqual(good);
  });

  it('refuses an envelope over the size limit, both ways, and the limit is configurable', () => {
    const big = createEnvelope({ ...base, payload: 'x'.repeat(1024 * 1024) });
    const enc = encodeEnvelope(big);
    expect(!enc.ok && enc.error).toBeInstanceOf(PayloadTooLargeError);
    const text = JSON.stringify(big);
    const dec = decodeEnvelope(text);
    expect(!dec.ok && dec.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(decodeEnvelope(text, { maxBytes: 2 * 1024 * 1024 }).ok).toBe(true);
    // Multi-byte characters are counted as bytes, not UTF-16 units.
    const wide = JSON.stringify(createEnvelope({ ...base, payload: 'é'.repeat(600) }));
    expect(decodeEnvelope(wide, { maxBytes: wide.length + 100 }).ok).toBe(false);
  });

  it('validates the payload by type when a schema is registered', () => {
    const payloads = createPayloadRegistry({ task_request: z.object({ n: z.number().max(5) }) });
    expect(payloads.types()).toEqual(['task_request']);
    expect(validateEnvelope(good, { payloads }).ok).toBe(true);
    const bad = validateEnvelope({ ...good, payload: { n: 9 } }, { payloads });
    expect(!bad.ok && (bad.error as ValidationError).issues[0]).toMatchObject({ path: 'payload.n', rule: 'too_big' });
    const missing = validateEnvelope({ ...good, payload: 'nope' }, { payloads });
    expect(!missing.ok && (missing.error as ValidationError).issues[0]!.path).toBe('payload');
    // Unregistered types pass their payload through untouched.
    expect(unwrap(validateEnvelope({ ...good, type: 'other', payload: [1] }, { payloads })).payload).toEqual([1]);
  });

  it('round-trips any valid envelope (property)', () => {
    const arb = fc.record({
      type: fc.stringMatching(/^[a-z][a-z0-9_.]{0,30}$/),
      from: fc.string({ minLength: 1, maxLength: 40 }),
      to: fc.string({ minLength: 1, maxLength: 40 }),
      act: fc.constantFrom(...SPEECH_ACTS),
      priority: fc.constantFrom(...PRIORITIES),
      payload: fc.jsonValue(),
      ttlMs: fc.option(fc.integer({ min: 1, max: 1e9 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(arb, (input) => {
        const env = createEnvelope(input);
        expect(roundTrip(env)).toEqual(JSON.parse(JSON.stringify(env)));
      }),
    );
  });
});
