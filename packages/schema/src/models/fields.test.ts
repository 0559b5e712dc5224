import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { citationSchema, lenientEnum, normaliseTimestamp, optionalText, timestampSchema } from './fields';

describe('timestampSchema', () => {
  it.each([
    ['Python utcnow().isoformat(): naive, microseconds, read as UTC', '2025-11-30T12:34:56.123456', '2025-11-30T12:34:56.123Z'],
    ['ISO with Z', '2025-11-30T12:34:56Z', '2025-11-30T12:34:56.000Z'],
    ['ISO with offset', '2025-11-30T14:34:56+02:00', '2025-11-30T12:34:56.000Z'],
    ['offset without colon', '2025-11-30T14:34:56+0200', '2025-11-30T12:34:56.000Z'],
    ['hour-only offset', '2025-11-30T10:34:56-02', '2025-11-30T12:34:56.000Z'],
    ['space separator, as PostgreSQL prints', '2025-11-30 12:34:56.5+00:00', '2025-11-30T12:34:56.500Z'],
    ['minutes precision', '2025-11-30T12:34', '2025-11-30T12:34:00.000Z'],
    ['date only', '2025-11-30', '2025-11-30T00:00:00.000Z'],
    ['leap day', '2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
  ])('reads %s', (_, input, expected) => {
    expect(timestampSchema.parse(input)).toBe(expected);
  });

  it('reads epoch seconds (Python time.time()) and milliseconds (Date.now()) alike', () => {
    const iso = '2025-11-30T12:34:56.789Z';
    const ms = Date.parse(iso);
    expect(timestampSchema.parse(ms)).toBe(iso);
    expect(timestampSchema.parse(ms / 1000)).toBe(iso);
    expect(timestampSchema.parse(String(ms / 1000))).toBe(iso);
    expect(timestampSchema.parse(0)).toBe('1970-01-01T00:00:00.000Z');
  });

  it.each([
    ['2025-02-30T00:00:00Z'],
    ['2025-02-29'],
    ['1900-02-29'],
    ['2025-13-01'],
    ['2025-11-30T24:00:00Z'],
    ['2025-11-30T12:60'],
    ['yesterday'],
    [''],
    [-1],
    [Number.NaN],
    [Number.POSITIVE_INFINITY],
    [1e20],
  ])('rejects %j with invalid_format', (input) => {
    const r = timestampSchema.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.code).toBe('invalid_format');
  });

  it('rejects a value of another type with invalid_type', () => {
    for (const input of [true, null, undefined, {}, []]) {
      expect(timestampSchema.safeParse(input).error?.issues[0]?.code).toBe('invalid_type');
    }
  });

  it('rejects an offset that moves the time out of years 0000-9999', () => {
    expect(normaliseTimestamp('9999-12-31T23:00:00-02:00')).toBeUndefined();
    expect(normaliseTimestamp('0000-01-01T00:30:00+01:00')).toBeUndefined();
  });

  it('is idempotent, so a decoded value encodes to the same text again', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.date({ min: new Date(0), max: new Date('2999-12-31'), noInvalidDate: true }).map((d) => d.toISOString()),
          fc.integer({ min: 0, max: 4_102_444_800_000 }),
        ),
        (input) => {
          const once = timestampSchema.parse(input);
          expect(timestampSchema.parse(once)).toBe(once);
          expect(Date.parse(once)).not.toBeNaN();
        },
      ),
    );
  });
});

describe('lenientEnum', () => {
  const status = lenientEnum(['pending', 'done']);

  it('reads enum names in any case as the lower-case value', () => {
    expect(status.parse('PENDING')).toBe('pending');
    expect(status.parse('Done')).toBe('done');
  });

  it('rejects other values with invalid_value', () => {
    expect(status.safeParse('started').error?.issues[0]?.code).toBe('invalid_value');
  });
});

describe('optionalText', () => {
  const schema = z.object({ assignee: optionalText(10) });

  it('reads "" and null as absent, as Python agents write "none"', () => {
    expect(schema.parse({ assignee: '' })).toEqual({});
    expect(schema.parse({ assignee: null })).toEqual({});
    expect(schema.parse({})).toEqual({});
    expect(schema.parse({ assignee: 'haiku-1' })).toEqual({ assignee: 'haiku-1' });
  });

  it('still checks the length', () => {
    expect(schema.safeParse({ assignee: 'x'.repeat(11) }).error?.issues[0]).toMatchObject({
      path: ['assignee'],
      code: 'too_big',
    });
  });
});

describe('citationSchema', () => {
  it.each(['if://citation/abc', 'https://example.org/paper?id=1', 'finding:f1', 'urn:isbn:0451450523', 'file:///tmp/x'])(
    'accepts the URI %s',
    (uri) => {
      expect(citationSchema.parse(uri)).toBe(uri);
    },
  );

  it.each(['', 'see the paper', '://no-scheme', '1http://x', 'if://has space'])('rejects %j', (text) => {
    expect(citationSchema.safeParse(text).error?.issues[0]?.code).toBe('invalid_format');
  });
});
