import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AgentbusError, ValidationError } from './errors';
import { L1_EVENT_TYPES, decodeL1Event, encodeL1Event, l1Topic, type L1Event } from './l1-event';
import { unwrap } from './result';

// JSON has no -0: compare values as they survive JSON.stringify.
const jsonValue = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown);

const event: L1Event = {
  base_log_id: '184467',
  source_module: 'prompt_router',
  timestamp: '2025-11-30T09:00:00.000Z',
  trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
  request_id: null,
  event_type: 'prompt_trace',
  data: { model: 'haiku', tokens: 812 },
};

describe('L1 events', () => {
  it('round-trips through JSON', () => {
    expect(unwrap(decodeL1Event(encodeL1Event(event)))).toEqual(event);
  });

  it('reads a row as the bridge relays it: bigint id as number, PostgreSQL timestamp, missing ids', () => {
    const e = unwrap(
      decodeL1Event(
        JSON.stringify({
          base_log_id: 184467,
          source_module: 'memory',
          timestamp: '2025-11-30 09:00:00.123456+00',
          event_type: 'event_log',
          data: {},
          new_column: 'kept',
        }),
      ),
    );
    expect(e).toEqual({
      base_log_id: '184467',
      source_module: 'memory',
      timestamp: '2025-11-30T09:00:00.123Z',
      trace_id: null,
      request_id: null,
      event_type: 'event_log',
      data: {},
      new_column: 'kept',
    });
  });

  it.each([
    ['base_log_id', -1, 'too_small'],
    ['base_log_id', ' ', 'invalid_format'],
    ['source_module', 'prompt.router', 'invalid_format'],
    ['timestamp', 'now', 'invalid_format'],
    ['trace_id', '', 'too_small'],
    ['event_type', 'audit', 'invalid_value'],
    ['data', 'x', 'invalid_type'],
  ])('names a bad %s and its rule', (field, value, rule) => {
    const r = decodeL1Event(JSON.stringify({ ...event, [field]: value }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toBeInstanceOf(ValidationError);
    expect(r.error.issues[0]).toMatchObject({ path: field, rule });
  });

  it('returns an error for text that is not JSON', () => {
    expect(decodeL1Event('not json')).toMatchObject({ ok: false, error: { issues: [{ rule: 'invalid_json' }] } });
  });

  it('throws a ValidationError on encode of an invalid event', () => {
    expect(() => encodeL1Event({ ...event, event_type: 'audit' as L1Event['event_type'] })).toThrow(ValidationError);
  });

  it('names the L2 topic of a module, refusing names that are not one topic level', () => {
    expect(l1Topic('prompt_router')).toBe('mem0.recorded.prompt_router');
    for (const bad of ['', 'a.b', 'a:b', 'a/b', 'a b', '-x', 'x'.repeat(101)]) {
      expect(() => l1Topic(bad)).toThrow(AgentbusError);
    }
    expect(() => l1Topic('a.b')).toThrow(/source module/);
  });

  it('round-trips any valid event (property)', () => {
    const arb = fc.record({
      base_log_id: fc.oneof(fc.nat().map(String), fc.stringMatching(/^[A-Za-z0-9_.:-]{1,64}$/)),
      source_module: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,30}$/),
      timestamp: fc.date({ min: new Date(0), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
      trace_id: fc.option(fc.string({ minLength: 1, maxLength: 256 })),
      request_id: fc.option(fc.string({ minLength: 1, maxLength: 256 })),
      event_type: fc.constantFrom(...L1_EVENT_TYPES),
      data: fc.dictionary(fc.string().filter((k) => k !== '__proto__'), jsonValue),
    });
    fc.assert(
      fc.property(arb, (e) => {
        expect(unwrap(decodeL1Event(encodeL1Event(e)))).toEqual(e);
        expect(l1Topic(e.source_module)).toBe(`mem0.recorded.${e.source_module}`);
      }),
    );
  });
});
