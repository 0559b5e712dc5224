-- agentbus bridge, migration 002: the relay's claim, locking only the modules it takes.
--
-- Until now the relay's claim took the advisory lock of every module with rows, on every batch:
-- thousands of modules meant thousands of locks in one transaction (the shared lock table holds
-- max_locks_per_transaction x max_connections entries, 64 x 100 by default, for the whole
-- server), and a relay claiming 3 rows kept every other relay off every module. This function
-- visits the modules with rows one at a time and locks one only to take rows from it, at most
-- p_max_modules per call.
--
-- The lock keys are unchanged (space 'abrg' = 0x61627267 = 1633841767, hashtext(module)), so a
-- relay of this version and one of the previous version still exclude each other on a module.
CREATE OR REPLACE FUNCTION agentbus_bridge.claim_batch(p_limit integer, p_max_modules integer, p_after text)
RETURNS TABLE (id text, event_id text, source_module text, event json, traceparent text, created_ms float8)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
  budget integer := p_limit;
  owned integer := 0;
  cur text := p_after;
  nxt text;
  wrapped boolean := p_after IS NULL;
  taken bigint;
BEGIN
  -- Round robin over the modules in name order, starting after p_after (the last module the
  -- caller took) and wrapping around once: every module with rows gets its turn however busy the
  -- others are. Each step is one descent of the (source_module, id) index, so a claim costs the
  -- modules it visits, not the modules there are or the rows waiting.
  LOOP
    EXIT WHEN budget <= 0 OR owned >= p_max_modules;
    IF cur IS NULL THEN
      SELECT o.source_module INTO nxt FROM agentbus_bridge.outbox o ORDER BY o.source_module LIMIT 1;
    ELSE
      SELECT o.source_module INTO nxt FROM agentbus_bridge.outbox o
      WHERE o.source_module > cur ORDER BY o.source_module LIMIT 1;
    END IF;
    IF nxt IS NULL THEN
      EXIT WHEN wrapped;
      wrapped := true;
      cur := NULL;
      CONTINUE;
    END IF;
    -- Full circle: the modules from here on were visited at the start of this call (never true
    -- without p_after: the comparison is null).
    EXIT WHEN wrapped AND nxt > p_after;
    cur := nxt;
    -- Another relay owns it: its rows are that relay's to publish, in order.
    CONTINUE WHEN NOT pg_try_advisory_xact_lock(1633841767, hashtext(nxt));
    owned := owned + 1;
    -- A new statement, so a snapshot taken after the lock: rows the previous owner deleted
    -- before its commit released the lock are gone from it. FOR UPDATE without SKIP LOCKED: only
    -- the module's owner locks its rows, and skipping a row someone else held (a person at psql)
    -- would publish the rows behind it first.
    RETURN QUERY
      SELECT o.id::text, o.event_id::text, o.source_module, o.event, o.traceparent,
             (extract(epoch FROM o.created_at) * 1000)::float8
      FROM agentbus_bridge.outbox o
      WHERE o.source_module = nxt
      ORDER BY o.id LIMIT budget
      FOR UPDATE OF o;
    GET DIAGNOSTICS taken = ROW_COUNT;
    budget := budget - taken::integer;
  END LOOP;
END
$$;
