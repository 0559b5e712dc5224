import { AgentbusError, encodeL1Event, ERROR_CODES, type l1EventSchema } from '@agentbus/schema';
import type { z } from 'zod';
import { INSERT_MANY, INSERT_ONE } from './internal/sql';
import type { SqlClient } from './sql-client';

/** An L1 event as a writer gives it (numbers or text for ids, any timestamp form the schema accepts). */
export type L1EventInput = z.input<typeof l1EventSchema>;

export interface RecordL1Options {
  /** W3C traceparent of the writer's span, carried into the envelope. Default: built from `trace_id` when it is a W3C trace id. */
  traceparent?: string;
}

/** The outbox row a call created. */
export interface RecordedL1 {
  /** Outbox id (bigint as text). */
  id: string;
  /** UUIDv7: the id of the envelope the relay will publish. */
  eventId: string;
}

const TRACEPARENT_RE = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

interface Prepared {
  module: string;
  json: string;
  traceparent: string | null;
}

function prepare(event: L1EventInput, options: RecordL1Options): Prepared {
  // encodeL1Event validates and normalises (ids as text, ISO timestamps); a bad event throws a
  // ValidationError here, inside the caller's transaction, so the caller sees it and rolls back.
  const json = encodeL1Event(event as Parameters<typeof encodeL1Event>[0]);
  const traceparent = options.traceparent ?? null;
  if (traceparent !== null && !TRACEPARENT_RE.test(traceparent)) {
    throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, `recordL1: invalid traceparent ${JSON.stringify(traceparent)}: use the W3C form 00-<32 hex>-<16 hex>-<2 hex>`);
  }
  // source_module passed the schema unchanged (a plain string rule, no transform).
  return { module: event.source_module, json, traceparent };
}

function recorded(row: { id?: unknown; event_id?: unknown } | undefined): RecordedL1 {
  if (typeof row?.id !== 'string' || typeof row.event_id !== 'string') {
    throw new AgentbusError(ERROR_CODES.INTERNAL, 'recordL1: the outbox insert returned no row; run `agentbus-bridge migrate`');
  }
  return { id: row.id, eventId: row.event_id };
}

/**
 * Records an L1 event in the outbox, inside the caller's transaction: one INSERT, nothing else
 * (no Redis), so the event exists if and only if the caller's transaction commits, and Redis
 * being down never fails or slows the write. The relay publishes it after the commit.
 *
 * ```ts
 * await client.query('BEGIN');
 * await client.query('INSERT INTO memory_log ...');
 * await recordL1(client, { base_log_id: 42, source_module: 'findings', timestamp: Date.now(), event_type: 'event_log', data });
 * await client.query('COMMIT');
 * ```
 */
export async function recordL1(client: SqlClient, event: L1EventInput, options: RecordL1Options = {}): Promise<RecordedL1> {
  const p = prepare(event, options);
  const result = await client.query(INSERT_ONE, [p.module, p.json, p.traceparent]);
  return recorded(result.rows[0]);
}

/** Several events in one INSERT (one round trip), in the given order; same rules as `recordL1`. */
export async function recordL1Many(client: SqlClient, events: readonly L1EventInput[], options: RecordL1Options = {}): Promise<RecordedL1[]> {
  if (events.length === 0) return [];
  const ps = events.map((e) => prepare(e, options));
  const result = await client.query(INSERT_MANY, [ps.map((p) => p.module), ps.map((p) => p.json), ps.map((p) => p.traceparent)]);
  return result.rows.map((r) => recorded(r));
}
