import { createEnvelope, L1_TOPIC_PREFIX, type Envelope, type L1Event } from '@agentbus/schema';

/** The envelope `type` of every event the relay publishes. */
export const L1_ENVELOPE_TYPE = L1_TOPIC_PREFIX;

/** One outbox row, checked, as the relay publishes it. */
export interface OutboxRow {
  /** The outbox id (bigint as text): the row's place in the commit log. */
  id: string;
  /** UUIDv7 fixed at insert: the envelope id, so a row published twice is deduped by Redis. */
  eventId: string;
  sourceModule: string;
  /** `mem0.recorded.<sourceModule>`. */
  topic: string;
  event: L1Event;
  /** The W3C traceparent recorded with the row, if any. */
  traceparent: string | null;
  /** Insert time, ms since epoch (sub-ms precision). */
  createdMs: number;
}

const TRACE_ID_RE = /^[0-9a-f]{32}$/;

/**
 * The traceparent to carry: the one recorded with the row, else one built from the event's
 * `trace_id` when that is a W3C trace id (32 hex digits, dashes of a UUID allowed), with a span id
 * taken from the row's event id so the same row always yields the same envelope.
 */
export function traceparentOf(row: Pick<OutboxRow, 'traceparent' | 'eventId' | 'event'>): string | undefined {
  if (row.traceparent !== null) return row.traceparent;
  const traceId = row.event.trace_id?.replace(/-/g, '').toLowerCase();
  if (traceId === undefined || !TRACE_ID_RE.test(traceId) || /^0+$/.test(traceId)) return undefined;
  const span = row.eventId.replace(/-/g, '').slice(-16);
  // An all-zero span id is invalid in W3C trace context; the random tail of a UUIDv7 almost never is.
  return `00-${traceId}-${/^0+$/.test(span) ? '0000000000000001' : span}-01`;
}

/**
 * The envelope of an outbox row. Built only from the row, so a retried publish of the same row
 * is the same message: same id (the dedupe key), same `ts` (the insert time).
 */
export function l1Envelope(row: OutboxRow, from: string): Envelope<L1Event> {
  const traceparent = traceparentOf(row);
  return createEnvelope({
    id: row.eventId,
    type: L1_ENVELOPE_TYPE,
    from,
    to: row.topic,
    payload: row.event,
    ts: Math.floor(row.createdMs),
    ...(row.event.request_id !== null ? { correlationId: row.event.request_id } : {}),
    ...(traceparent !== undefined ? { traceparent } : {}),
  });
}
