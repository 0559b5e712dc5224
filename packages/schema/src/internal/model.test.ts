import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationError } from '../errors';
import { createKeyBuilder } from '../keys';
import { timestampSchema, optionalText } from '../models/fields';
import { unwrap } from '../result';
import { defineModel, hashCodec, jsonCodec } from './model';

const itemSchema = z.looseObject({
  id: z.string().min(1),
  kind: z.enum(['a', 'b']),
  label: z.literal('x').optional(),
  count: z.number().int(),
  tags: z.array(z.string()),
  meta: z.record(z.string(), z.unknown()).default({}),
  owner: optionalText(),
  at: timestampSchema,
  seen: timestampSchema.optional(),
  upper: z.string().transform((s) => s.toUpperCase()).optional(),
});

describe('hashCodec', () => {
  const codec = hashCodec(itemSchema, 'item');
  const item = {
    id: '42',
    kind: 'a' as const,
    count: 3,
    tags: ['t1'],
    meta: { nested: { deep: [1, 2] } },
    at: '2025-11-30T12:00:00.000Z',
  };

  it('stores strings as they are and everything else as JSON text, as HSET needs', () => {
    const fields = codec.encode(item);
    expect(fields).toEqual({
      id: '42',
      kind: 'a',
      label: '',
      count: '3',
      tags: '["t1"]',
      meta: '{"nested":{"deep":[1,2]}}',
      owner: '',
      at: '2025-11-30T12:00:00.000Z',
      seen: '',
      upper: '',
    });
    expect(Object.values(fields).every((v) => typeof v === 'string')).toBe(true);
    expect(unwrap(codec.decode(fields))).toEqual(item);
  });

  it('keeps a string that looks like JSON a string in a string field', () => {
    const fields = codec.encode({ ...item, id: '{"a":1}', owner: '123', upper: 'ABC' });
    expect(unwrap(codec.decode(fields))).toMatchObject({ id: '{"a":1}', owner: '123', upper: 'ABC' });
  });

  it('writes absent optional fields as "" so HSET over an older hash clears them', () => {
    const older = codec.encode({ ...item, owner: 'haiku-1' });
    const released = codec.encode(item);
    const merged = { ...older, ...released }; // what the hash holds after HSET of both
    expect(unwrap(codec.decode(merged)).owner).toBeUndefined();
  });

  it('keeps fields it does not know as strings', () => {
    const decoded = unwrap(codec.decode({ ...codec.encode(item), ttl_seconds: '86400' }));
    expect(decoded.ttl_seconds).toBe('86400');
    expect(codec.encode(decoded).ttl_seconds).toBe('86400');
  });

  it('names the field and rule of a bad value, whether JSON or not', () => {
    const fields = codec.encode(item);
    const cases: Array<[Record<string, string>, string, string]> = [
      [{ ...fields, count: '3.5' }, 'count', 'invalid_type'],
      [{ ...fields, count: 'three' }, 'count', 'invalid_type'],
      [{ ...fields, tags: '{not json' }, 'tags', 'invalid_type'],
      [{ ...fields, tags: '[1]' }, 'tags.0', 'invalid_type'],
      [{ ...fields, kind: 'c' }, 'kind', 'invalid_value'],
      [{ ...fields, at: 'soon' }, 'at', 'invalid_format'],
      [{ ...fields, at: '' }, 'at', 'invalid_format'],
    ];
    for (const [wire, path, rule] of cases) {
      const r = codec.decode(wire);
      expect(r.ok).toBe(false);
      if (r.ok) continue;
      expect(r.error).toBeInstanceOf(ValidationError);
      expect(r.error.code).toBe('INVALID_MESSAGE');
      expect(r.error.issues).toContainEqual(expect.objectContaining({ path, rule }));
    }
  });

  it('reports every missing field of an empty hash (HGETALL of a missing key) without throwing', () => {
    const r = codec.decode({});
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['id', 'kind', 'count', 'at']));
  });

  it('throws a ValidationError naming the field when asked to encode an invalid value', () => {
    expect(() => codec.encode({ ...item, count: 1.5 })).toThrow(ValidationError);
    try {
      codec.encode({ ...item, count: 1.5 });
    } catch (e) {
      expect((e as ValidationError).issues[0]).toMatchObject({ path: 'count', rule: 'invalid_type' });
      expect((e as ValidationError).message).toMatch(/^invalid item: count:/);
    }
  });
});

describe('jsonCodec', () => {
  const codec = jsonCodec(itemSchema, 'item');
  const item = { id: '1', kind: 'b' as const, count: 1, tags: [], meta: {}, at: '2025-11-30T12:00:00.000Z' };

  it('round-trips through one JSON string', () => {
    const text = codec.encode(item);
    expect(JSON.parse(text)).toEqual(item);
    expect(unwrap(codec.decode(text))).toEqual(item);
  });

  it('returns a ValidationError for text that is not JSON, or null from GET of a missing key', () => {
    const bad = codec.decode('{"id":');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.issues[0]).toMatchObject({ path: '', rule: 'invalid_json' });
    const missing = codec.decode(null as unknown as string);
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.error.issues[0]).toMatchObject({ path: '', rule: 'invalid_type' });
  });
});

describe('defineModel', () => {
  const model = defineModel({
    name: 'item',
    schema: itemSchema,
    codec: hashCodec(itemSchema, 'item'),
    key: (keys, scope: string, id: string) => keys.key('item', scope, id),
    ttlSeconds: 60,
  });

  it('bundles schema, codec, key and TTL', () => {
    expect(model.format).toBe('hash');
    expect(model.ttlSeconds).toBe(60);
    expect(model.key(createKeyBuilder('ns'), 's', '1')).toBe('ns:item:s:1');
    expect(model.schema.safeParse({}).success).toBe(false);
  });

  it('validates parsed input without throwing', () => {
    const r = model.validate({ id: '1', kind: 'B' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/^invalid item: /);
  });
});
