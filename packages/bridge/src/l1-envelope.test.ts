import { describe, expect, it } from 'vitest';
import type { L1Event } from '@agentbus/schema';
import { l1Envelope, L1_ENVELOPE_TYPE, traceparentOf, type OutboxRow } from './l1-envelope';

const event: L1Event = {
  base_log_id: '7',
  source_module: 'findings',
  timestamp: '2025-01-01T00:00:00.000Z',
  trace_id: null,
  request_id: null,
  event_type: 'event_log',
  data: {},
};
const row: OutboxRow = {
  id: '1',
  eventId: '0190a7e2-3b4c-7d5e-8f60-718293a4b5c6',
  sourceModule: 'findings',
  topic: 'mem0.recorded.findings',
  event,
  traceparent: null,
  createdMs: 1_700_000_000_123.456,
};

describe('l1Envelope', () => {
  it('is built from the row alone: the same row gives the same envelope', () => {
    const a = l1Envelope(row, 'relay-a');
    expect(a).toEqual(l1Envelope(row, 'relay-a'));
    expect(a).toMatchObject({ id: row.eventId, type: L1_ENVELOPE_TYPE, to: row.topic, ts: 1_700_000_000_123, payload: event, v: 1 });
    expect(a.correlationId).toBeUndefined();
    expect(l1Envelope({ ...row, event: { ...event, request_id: 'r-1' } }, 'x').correlationId).toBe('r-1');
  });
});

describe('traceparentOf', () => {
  it('prefers the recorded traceparent', () => {
    const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    expect(traceparentOf({ ...row, traceparent: tp, event: { ...event, trace_id: 'ffffffffffffffffffffffffffffffff' } })).toBe(tp);
  });

  it('builds one from a W3C trace id (UUID dashes allowed), with the event id as span', () => {
    expect(traceparentOf({ ...row, event: { ...event, trace_id: '4BF92F3577B34DA6A3CE929D0E0E4736' } })).toBe(
      '00-4bf92f3577b34da6a3ce929d0e0e4736-8f60718293a4b5c6-01',
    );
    expect(traceparentOf({ ...row, event: { ...event, trace_id: '4bf92f35-77b3-4da6-a3ce-929d0e0e4736' } })).toMatch(/^00-4bf92f35/);
  });

  it('none for a missing, non-hex or all-zero trace id; never an all-zero span', () => {
    expect(traceparentOf(row)).toBeUndefined();
    expect(traceparentOf({ ...row, event: { ...event, trace_id: 'trace-123' } })).toBeUndefined();
    expect(traceparentOf({ ...row, event: { ...event, trace_id: '0'.repeat(32) } })).toBeUndefined();
    const zeroTail = { ...row, eventId: '0190a7e2-3b4c-7d5e-0000-000000000000', event: { ...event, trace_id: 'a'.repeat(32) } };
    expect(traceparentOf(zeroTail)).toBe(`00-${'a'.repeat(32)}-0000000000000001-01`);
  });
});
