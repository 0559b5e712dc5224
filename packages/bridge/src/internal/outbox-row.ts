import { z } from 'zod';
import { l1EventSchema, l1Topic, UUID_V7_RE, type L1Event } from '@agentbus/schema';
import type { OutboxRow } from '../l1-envelope';

// The rows are read back from PostgreSQL, where any writer (a Python agent, plain SQL) may have
// put anything: every column is checked before it becomes an event.
const claimedRowSchema = z.object({
  id: z.string().regex(/^\d+$/),
  event_id: z.string(),
  source_module: z.string(),
  event: z.unknown(),
  traceparent: z.string().nullable(),
  created_ms: z.number(),
});

const TRACEPARENT_RE = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** A claimed row that cannot be relayed, and why. */
export interface RejectedRow {
  id: string;
  error: string;
}

export type ParsedRow = { ok: true; row: OutboxRow } | { ok: false; rejected: RejectedRow };

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid';
}

/** Checks one claimed row; a row that is not a relayable L1 event comes back with the reason. */
export function parseClaimedRow(raw: unknown): ParsedRow {
  const shape = claimedRowSchema.safeParse(raw);
  if (!shape.success) {
    // Without an id the row cannot even be set aside: a schema drift, reported by the caller.
    const id = typeof (raw as { id?: unknown } | null)?.id === 'string' ? (raw as { id: string }).id : '';
    return { ok: false, rejected: { id, error: `outbox row: ${firstIssue(shape.error)}` } };
  }
  const r = shape.data;
  const reject = (error: string): ParsedRow => ({ ok: false, rejected: { id: r.id, error } });
  if (!UUID_V7_RE.test(r.event_id)) return reject(`event_id ${r.event_id} is not a UUIDv7`);
  const event = l1EventSchema.safeParse(r.event);
  if (!event.success) return reject(`not a valid L1 event: ${firstIssue(event.error)}`);
  if (event.data.source_module !== r.source_module) {
    return reject(`source_module column ${JSON.stringify(r.source_module)} differs from the event's ${JSON.stringify(event.data.source_module)}`);
  }
  // Cannot throw: the event's source_module passed the same rule.
  const topic = l1Topic(r.source_module);
  // A malformed traceparent only loses the trace link; the event itself is still good.
  const traceparent = r.traceparent !== null && TRACEPARENT_RE.test(r.traceparent) ? r.traceparent : null;
  return {
    ok: true,
    row: {
      id: r.id,
      eventId: r.event_id,
      sourceModule: r.source_module,
      topic,
      event: event.data as L1Event,
      traceparent,
      createdMs: r.created_ms,
    },
  };
}
