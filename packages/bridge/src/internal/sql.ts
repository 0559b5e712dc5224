/** Names and statements of the bridge's PostgreSQL schema (created by migrations/*.sql). */

export const BRIDGE_SCHEMA = 'agentbus_bridge';
export const OUTBOX_TABLE = `${BRIDGE_SCHEMA}.outbox`;
export const DEAD_TABLE = `${BRIDGE_SCHEMA}.outbox_dead`;
export const MIGRATIONS_TABLE = `${BRIDGE_SCHEMA}.migrations`;
/** The NOTIFY channel of the insert trigger. */
export const NOTIFY_CHANNEL = 'agentbus_bridge_outbox';

// Advisory lock spaces (the two-key form): 'abrg' for per-module relay locks, one more for migrate,
// so neither can block the other whatever a module name hashes to.
export const MODULE_LOCK_SPACE = 0x61627267;
export const MIGRATE_LOCK_SPACE = 0x61627268;

export const INSERT_ONE = `INSERT INTO ${OUTBOX_TABLE} (source_module, event, traceparent)
VALUES ($1, $2::json, $3) RETURNING id::text AS id, event_id::text AS event_id`;

export const INSERT_MANY = `INSERT INTO ${OUTBOX_TABLE} (source_module, event, traceparent)
SELECT m, e, t FROM unnest($1::text[], $2::json[], $3::text[]) WITH ORDINALITY AS r(m, e, t, n) ORDER BY n
RETURNING id::text AS id, event_id::text AS event_id`;

/**
 * Claims a batch: the oldest rows of every module no other relay holds. The recursive CTE is a
 * skip scan over (source_module, id) listing the modules with rows; a transaction-scoped
 * advisory lock per module makes one relay at a time the owner of a module, which is what keeps
 * each module's order with several relays (SKIP LOCKED alone would hand rows 1-100 to one relay
 * and 101-200 to another, published in parallel). MATERIALIZED keeps the locking CTE from being
 * inlined into the outer scan.
 *
 * The candidates are each owned module's first rows by (source_module, id), then the oldest of
 * those overall: every step is an index range with a LIMIT, so a claim costs the same with a
 * backlog of millions, whatever the planner's statistics say (a queue table's are always stale,
 * and a plan sorting the whole backlog per batch would make draining it quadratic). Only the rows
 * finally taken are locked. The caller puts them in id order.
 */
const CLAIM = `WITH RECURSIVE modules(source_module) AS (
  (SELECT source_module FROM ${OUTBOX_TABLE} ORDER BY source_module LIMIT 1)
  UNION ALL
  SELECT (SELECT o.source_module FROM ${OUTBOX_TABLE} o
          WHERE o.source_module > m.source_module ORDER BY o.source_module LIMIT 1)
  FROM modules m WHERE m.source_module IS NOT NULL
),
owned AS MATERIALIZED (
  SELECT source_module FROM modules
  WHERE source_module IS NOT NULL
    AND pg_try_advisory_xact_lock(${MODULE_LOCK_SPACE}, hashtext(source_module))
),
candidates AS MATERIALIZED (
  SELECT c.id FROM owned
  CROSS JOIN LATERAL (
    SELECT o.id FROM ${OUTBOX_TABLE} o
    WHERE o.source_module = owned.source_module
    ORDER BY o.id LIMIT %LIMIT%
  ) c
  ORDER BY c.id LIMIT %LIMIT%
)
SELECT o.id::text AS id, o.event_id::text AS event_id, o.source_module, o.event, o.traceparent,
       (extract(epoch FROM o.created_at) * 1000)::float8 AS created_ms
FROM ${OUTBOX_TABLE} o
WHERE o.id IN (SELECT id FROM candidates)
FOR UPDATE OF o SKIP LOCKED`;

/** Deletes the relayed rows ($1) and moves the ones that cannot be relayed ($2, reasons $3). */
export const MARK = `WITH dead AS (
  INSERT INTO ${DEAD_TABLE} (id, event_id, source_module, event, traceparent, created_at, error)
  SELECT o.id, o.event_id, o.source_module, o.event, o.traceparent, o.created_at, d.error
  FROM ${OUTBOX_TABLE} o JOIN unnest($2::bigint[], $3::text[]) AS d(id, error) ON o.id = d.id
)
DELETE FROM ${OUTBOX_TABLE} WHERE id = ANY($1::bigint[])`;

export const BACKLOG = `SELECT count(*)::float8 AS rows,
  (extract(epoch FROM clock_timestamp() - min(created_at)) * 1000)::float8 AS oldest_age_ms
FROM ${OUTBOX_TABLE}`;

/**
 * Opens the batch's transaction and claims the rows, in one round trip (a multi-statement simple
 * query, so the limit is inlined: it is a checked integer). The timeouts make PostgreSQL end the
 * session of a relay that hangs mid-batch (stopped, partitioned), which releases its module locks
 * to the other relays.
 */
export function claimBatch(leaseMs: number, limit: number): string {
  const ms = Math.max(1, Math.round(leaseMs));
  const n = Math.max(1, Math.floor(limit));
  return `BEGIN; SET LOCAL idle_in_transaction_session_timeout = ${ms}; SET LOCAL statement_timeout = ${ms}; ${CLAIM.replaceAll('%LIMIT%', String(n))}`;
}

const ID_RE = /^\d+$/;

/**
 * Deletes the relayed rows and commits, in one round trip; the ids are inlined, and only ever
 * digits (checked here again, as they end up in SQL text).
 */
export function deleteAndCommit(ids: readonly string[]): string {
  for (const id of ids) if (!ID_RE.test(id)) throw new Error(`outbox id ${JSON.stringify(id)} is not a bigint`);
  return `DELETE FROM ${OUTBOX_TABLE} WHERE id = ANY('{${ids.join(',')}}'::bigint[]); COMMIT`;
}
