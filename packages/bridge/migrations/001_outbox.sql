-- agentbus bridge, migration 001: the transactional outbox (L1 -> L2).
-- Everything lives in its own schema, so the bridge never collides with the application's tables.
CREATE SCHEMA IF NOT EXISTS agentbus_bridge;

-- UUIDv7 (RFC 9562) for PostgreSQL before 18, which has none built in: a random v4 with its first
-- 48 bits replaced by the Unix time in ms and the version nibble set to 7 (bits 52 and 53).
-- The envelope id of a row: time-ordered, and fixed at insert so a re-published row is deduped.
CREATE OR REPLACE FUNCTION agentbus_bridge.uuid_v7() RETURNS uuid
LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
  SELECT encode(
    set_bit(
      set_bit(
        overlay(uuid_send(gen_random_uuid())
                PLACING substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                FROM 1 FOR 6),
        52, 1),
      53, 1),
    'hex')::uuid
$$;

-- One row per L1 event waiting to be relayed. The relay deletes a row once its event is in the
-- stream, so the table holds only the backlog. Writers insert from their own transaction
-- (recordL1, or plain SQL: every column but source_module and event has a default).
CREATE TABLE agentbus_bridge.outbox (
  id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id      uuid        NOT NULL DEFAULT agentbus_bridge.uuid_v7(),
  source_module text        NOT NULL,
  event         json        NOT NULL,
  traceparent   text,
  -- clock_timestamp(), not now(): the insert's own time, for the relay's latency figures.
  created_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- The relay lists the modules with work (a skip scan) and takes each module's oldest rows.
CREATE INDEX outbox_module_id ON agentbus_bridge.outbox (source_module, id);

-- A queue table churns: vacuum it early so dead rows do not slow the relay's scans.
ALTER TABLE agentbus_bridge.outbox SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 1000);

-- Rows the relay cannot turn into an event (not a valid L1 event, refused by the bus as too
-- large): moved here with the reason, so one bad row never holds up its module.
CREATE TABLE agentbus_bridge.outbox_dead (
  id            bigint      PRIMARY KEY,
  event_id      uuid        NOT NULL,
  source_module text        NOT NULL,
  event         json        NOT NULL,
  traceparent   text,
  created_at    timestamptz NOT NULL,
  failed_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  error         text        NOT NULL
);

-- Wakes the relays (LISTEN agentbus_bridge_outbox) when an insert commits; once per statement,
-- and PostgreSQL folds equal notifications of one transaction into one.
CREATE OR REPLACE FUNCTION agentbus_bridge.notify_outbox() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('agentbus_bridge_outbox', '');
  RETURN NULL;
END
$$;

CREATE TRIGGER outbox_notify
AFTER INSERT ON agentbus_bridge.outbox
FOR EACH STATEMENT EXECUTE FUNCTION agentbus_bridge.notify_outbox();
