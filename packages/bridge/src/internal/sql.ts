/** Names and statements of the bridge's PostgreSQL schema (created by migrations/*.sql). */

export const BRIDGE_SCHEMA = 'agentbus_bridge';
export const OUTBOX_TABLE = `${BRIDGE_SCHEMA}.outbox`;
export const DEAD_TABLE = `${BRIDGE_SCHEMA}.outbox_dead`;
export const MIGRATIONS_TABLE = `${BRIDGE_SCHEMA}.migrations`;
/** The NOTIFY channel of the insert trigger. */
export const NOTIFY_CHANNEL = 'agentbus_bridge_outbox';

// Advisory lock spaces (the two-key form): 'abrg' for per-module relay locks, one more for migrate,
// so neither can block the other whatever a module name hashes to. migrations/002_claim_batch.sql
// spells the module space out (1633841767): an applied migration never changes, and neither may it.
export const MODULE_LOCK_SPACE = 0x61627267;
export const MIGRATE_LOCK_SPACE = 0x61627268;

export const INSERT_ONE = `INSERT INTO ${OUTBOX_TABLE} (source_module, event, traceparent)
VALUES ($1, $2::json, $3) RETURNING id::text AS id, event_id::text AS event_id`;

export const INSERT_MANY = `INSERT INTO ${OUTBOX_TABLE} (source_module, event, traceparent)
SELECT m, e, t FROM unnest($1::text[], $2::json[], $3::text[]) WITH ORDINALITY AS r(m, e, t, n) ORDER BY n
RETURNING id::text AS id, event_id::text AS event_id`;

/**
 * Claims a batch through `agentbus_bridge.claim_batch` (migration 002): the modules with rows in
 * name order, round robin from after the last module the relay took; for each one no other relay
 * holds, its transaction-scoped advisory lock (one relay at a time owns a module, which keeps its
 * order with several relays: SKIP LOCKED alone would hand rows 1-100 to one relay and 101-200 to
 * another, published in parallel), then its oldest rows; until the batch is full or
 * `maxModulesPerBatch` modules are locked. A module is locked only to take rows from it: the
 * locks a claim holds stay bounded however many modules have rows, and the modules it leaves
 * stay free for the other relays.
 *
 * Every step is an index range with a LIMIT over (source_module, id): a claim costs one index
 * descent per module it visits plus the rows taken, with a backlog of millions and whatever the
 * planner's statistics say (a queue table's are always stale). The rows come module after
 * module in visiting order; the caller takes the last one's module as its next start, then puts
 * the rows in id order.
 */
const CLAIM = `SELECT id, event_id, source_module, event, traceparent, created_ms
FROM ${BRIDGE_SCHEMA}.claim_batch(%LIMIT%, %MODULES%, %AFTER%)`;

/**
 * `text` as an SQL literal. Module names come from the table, where plain-SQL writers may have
 * put anything; the E'' form reads the same whatever standard_conforming_strings says.
 */
export function sqlText(text: string | null): string {
  if (text === null) return 'NULL';
  return `E'${text.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
}

/** What PostgreSQL answers when the claim function is missing: the schema predates this relay. */
export const UNDEFINED_FUNCTION = '42883';

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
 * query, so the arguments are inlined: checked integers and a quoted literal). The timeouts make
 * PostgreSQL end the session of a relay that hangs mid-batch (stopped, partitioned), which
 * releases its module locks to the other relays.
 */
export function claimBatch(leaseMs: number, limit: number, maxModules: number, after: string | null): string {
  const ms = Math.max(1, Math.round(leaseMs));
  const n = Math.max(1, Math.floor(limit));
  const k = Math.max(1, Math.floor(maxModules));
  const claim = CLAIM.replace('%LIMIT%', String(n)).replace('%MODULES%', String(k)).replace('%AFTER%', () => sqlText(after));
  return `BEGIN; SET LOCAL idle_in_transaction_session_timeout = ${ms}; SET LOCAL statement_timeout = ${ms}; ${claim}`;
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
