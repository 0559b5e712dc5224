// The relay's module locks: how many a claim holds, whether two relays share the modules, and
// whether thousands of modules drain with PostgreSQL's default lock table.
import { afterEach, expect, inject, it, vi } from 'vitest';
import { decodeEnvelope, l1Topic } from '@agentbus/schema';
import { createRedisTransport, type Transport } from '@agentbus/transport';
import { uniquePrefix } from '@agentbus/test-utils';
import type pg from 'pg';
import { createRelay, loadMigrations, migrate, recordL1, recordL1Many, type L1EventInput, type Relay, type RelayedBatch } from '../src/index';
import { MODULE_LOCK_SPACE, sqlText } from '../src/internal/sql';
import { freshDatabase, l1Event, outboxCount, seqOf, streamOf, type TestDatabase } from './helpers';

let db: TestDatabase | undefined;
const transports: Transport[] = [];
const relays: Relay[] = [];
const gates: (() => void)[] = [];
afterEach(async () => {
  for (const open of gates.splice(0)) open();
  for (const r of relays.splice(0)) await r.close();
  for (const t of transports.splice(0)) await t.close();
  await db?.close();
  db = undefined;
});

function newTransport(namespace: string): Transport {
  const transport = createRedisTransport({ url: inject('redisUrl'), namespace });
  transports.push(transport);
  return transport;
}

/**
 * A `beforeMark` hook that holds the relay's first batch (its transaction open, its locks held)
 * until `release()`; `held` is that batch once it is there.
 */
function holdFirstBatch(): { hook: (b: RelayedBatch) => Promise<void>; held: () => RelayedBatch | undefined; release: () => void } {
  let held: RelayedBatch | undefined;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  gates.push(release);
  return {
    hook: async (b) => {
      if (held) return;
      held = b;
      await gate;
    },
    held: () => held,
    release,
  };
}

const moduleOf = (topic: string): string => topic.slice('mem0.recorded.'.length);

/** The module locks (two-key advisory locks in the relay's space) granted in this database now. */
async function moduleLockCount(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_locks
     WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid = $1::bigint::oid
       AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [MODULE_LOCK_SPACE],
  );
  return rows[0]!.n;
}

/** Which of `modules` have their lock granted now (a lock's key is hashtext of the module name). */
async function lockedModules(pool: pg.Pool, modules: readonly string[]): Promise<string[]> {
  const { rows } = await pool.query<{ m: string }>(
    `SELECT m FROM unnest($2::text[]) AS m
     WHERE EXISTS (SELECT 1 FROM pg_locks l
       WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND l.classid = $1::bigint::oid
         AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND l.objid = (hashtext(m)::bigint & 4294967295)::oid)
     ORDER BY m`,
    [MODULE_LOCK_SPACE, modules],
  );
  return rows.map((r) => r.m);
}

it('a claim of N rows holds locks on the modules of those rows only', async () => {
  db = await freshDatabase('claim_locks');
  const transport = newTransport(uniquePrefix('claimlocks'));
  // Oldest first: a0 a1 b0 b1 c0 d0 e0. A claim of 3 takes a0 a1 b0: modules a and b.
  await recordL1Many(db.pool, [l1Event('a', 0), l1Event('a', 1), l1Event('b', 0), l1Event('b', 1), l1Event('c', 0), l1Event('d', 0), l1Event('e', 0)]);
  const hold = holdFirstBatch();
  relays.push(createRelay({ pool: db.pool, transport, batchSize: 3, pollIntervalMs: 50, hooks: { beforeMark: hold.hook } }));
  await vi.waitFor(() => expect(hold.held()).toBeDefined(), { timeout: 10_000, interval: 10 });

  const batch = hold.held()!;
  const taken = [...new Set(batch.events.map((e) => moduleOf(e.topic)))].sort();
  const locks = await moduleLockCount(db.pool);
  const locked = await lockedModules(db.pool, ['a', 'b', 'c', 'd', 'e']);
  console.log(`tally: modules with rows 5, rows claimed ${batch.events.length} of modules [${taken.join(', ')}], module locks held ${locks} [${locked.join(', ')}]`);
  expect(batch.events).toHaveLength(3);
  expect(taken).toEqual(['a', 'b']);
  expect(locked).toEqual(taken);
  expect(locks).toBe(2);

  hold.release();
  await vi.waitFor(async () => expect(await outboxCount(db!.pool)).toBe(0), { timeout: 10_000, interval: 20 });
  for (const [m, n] of [['a', 2], ['b', 2], ['c', 1], ['d', 1], ['e', 1]] as const) {
    expect((await streamOf(transport, m)).map(seqOf), `module ${m}`).toEqual(Array.from({ length: n }, (_, i) => i));
  }
  // Committed: nothing is left holding a module.
  expect(await moduleLockCount(db.pool)).toBe(0);
});

it('two relays progress on different modules at once: one holding a module does not starve the other', async () => {
  db = await freshDatabase('parallel');
  const namespace = uniquePrefix('parallel');
  const modules = ['m0', 'm1', 'm2', 'm3'];
  const perModule = 10;
  // Module after module: m0 has the oldest rows, so the first relay's first batch is m0's.
  await recordL1Many(db.pool, modules.flatMap((m) => Array.from({ length: perModule }, (_, i) => l1Event(m, i))));

  const hold = holdFirstBatch();
  const a = createRelay({ pool: db.pool, transport: newTransport(namespace), batchSize: 5, pollIntervalMs: 50, hooks: { beforeMark: hold.hook } });
  relays.push(a);
  await vi.waitFor(() => expect(hold.held()).toBeDefined(), { timeout: 10_000, interval: 10 });
  expect(hold.held()!.events.map((e) => moduleOf(e.topic))).toEqual(Array(5).fill('m0'));

  // Relay A sits in its batch holding m0; relay B must drain the other three modules meanwhile.
  const reader = newTransport(namespace);
  const b = createRelay({ pool: db.pool, transport: reader, batchSize: 5, pollIntervalMs: 50 });
  relays.push(b);
  const t = performance.now();
  await vi.waitFor(() => expect(b.stats().relayed).toBe(30), { timeout: 10_000, interval: 10 });
  const bMs = performance.now() - t;
  expect(a.stats().relayed).toBe(0); // A's batch is still open
  for (const m of ['m1', 'm2', 'm3']) {
    expect((await streamOf(reader, m)).map(seqOf), `module ${m}`).toEqual(Array.from({ length: perModule }, (_, i) => i));
  }
  // m0 has only A's five XADDs: B never touched the module A holds.
  expect((await streamOf(reader, 'm0')).map(seqOf)).toEqual([0, 1, 2, 3, 4]);
  expect(await outboxCount(db.pool)).toBe(perModule);

  hold.release();
  await vi.waitFor(async () => expect(await outboxCount(db!.pool)).toBe(0), { timeout: 10_000, interval: 20 });
  for (const m of modules) {
    expect((await streamOf(reader, m)).map(seqOf), `module ${m}`).toEqual(Array.from({ length: perModule }, (_, i) => i));
  }
  const [sa, sb] = [a.stats(), b.stats()];
  console.log(`tally: while A held m0, B relayed ${30} rows of m1-m3 in ${bMs.toFixed(0)} ms; at the end A ${sa.relayed}, B ${sb.relayed}, duplicates ${sa.duplicates + sb.duplicates}`);
  expect(sa.relayed + sb.relayed).toBe(modules.length * perModule);
  expect(sa.duplicates + sb.duplicates).toBe(0);
});

it('5,000 modules with one row each drain exactly once with the default max_locks_per_transaction', async () => {
  db = await freshDatabase('many_modules');
  const { rows: settings } = await db.pool.query<{ locks: string; conns: string }>(
    "SELECT current_setting('max_locks_per_transaction') AS locks, current_setting('max_connections') AS conns",
  );
  expect(settings[0]!.locks).toBe('64');
  const namespace = uniquePrefix('many');
  const transport = newTransport(namespace);

  // 5,000 one-row modules, and 10 busy modules of 50 rows each spread among them, to see the
  // order of a module kept while thousands of others share the batches.
  const single = Array.from({ length: 5_000 }, (_, i) => `mod${i}`);
  const busy = Array.from({ length: 10 }, (_, i) => `busy${i}`);
  const events: L1EventInput[] = [];
  for (let i = 0, k = 0; i < 5_500; i++) {
    if (i % 11 === 10) events.push(l1Event(busy[k % 10]!, Math.floor(k++ / 10)));
    else events.push(l1Event(single[i - Math.floor(i / 11)]!, 0));
  }
  const recorded = [];
  for (let i = 0; i < events.length; i += 1_000) recorded.push(...(await recordL1Many(db.pool, events.slice(i, i + 1_000))));
  expect(recorded).toHaveLength(5_500);

  const errors: Error[] = [];
  let peakLocks = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peakLocks = Math.max(peakLocks, await moduleLockCount(db!.pool));
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const t = performance.now();
  const relay = createRelay({ pool: db.pool, transport, pollIntervalMs: 50, backlogIntervalMs: 0, hooks: { onError: (e) => void errors.push(e) } });
  relays.push(relay);
  try {
    await vi.waitFor(async () => expect(await outboxCount(db!.pool)).toBe(0), { timeout: 50_000, interval: 20 });
  } finally {
    sampling = false;
    await sampler;
  }
  const drainMs = performance.now() - t;
  const s = relay.stats();
  console.log(
    `tally: max_locks_per_transaction ${settings[0]!.locks}, max_connections ${settings[0]!.conns}; 5,510 modules, 5,500 rows drained in ${drainMs.toFixed(0)} ms, ` +
      `${s.batches} batches, peak module locks ${peakLocks}, failed batches ${s.failures}${errors[0] ? ` (${errors[0].message})` : ''}`,
  );
  expect(errors).toEqual([]);
  expect(s.relayed).toBe(5_500);
  expect(s.duplicates).toBe(0);

  // Exactly once: the ids in the streams are the committed ids, each once.
  const all = [...single, ...busy];
  const pipeline = transport.redis!.pipeline();
  for (const m of all) pipeline.xrange(transport.keys.lane(l1Topic(m), 'normal'), '-', '+');
  const replies = (await pipeline.exec())!;
  const inStreams: string[] = [];
  for (const [error, entries] of replies) {
    expect(error).toBeNull();
    for (const [, fields] of entries as [string, string[]][]) {
      const decoded = decodeEnvelope(fields[fields.indexOf('env') + 1]!);
      if (!decoded.ok) throw decoded.error;
      inStreams.push(decoded.value.id);
    }
  }
  expect(inStreams).toHaveLength(5_500);
  expect(new Set(inStreams)).toEqual(new Set(recorded.map((r) => r.eventId)));
  for (const m of busy) {
    expect((await streamOf(transport, m)).map(seqOf), `module ${m}`).toEqual(Array.from({ length: 50 }, (_, i) => i));
  }
  // Bounded by the relay's modules per batch, not by how many modules have rows.
  expect(peakLocks).toBeLessThanOrEqual(32);
});

it('round robin: a module with a long backlog does not hold up the others', async () => {
  db = await freshDatabase('round_robin');
  const transport = newTransport(uniquePrefix('rr'));
  await recordL1Many(db.pool, Array.from({ length: 1_500 }, (_, i) => l1Event('big', i)));
  await recordL1(db.pool, l1Event('late', 0));
  const batches: string[][] = [];
  relays.push(
    createRelay({ pool: db.pool, transport, batchSize: 500, pollIntervalMs: 50, hooks: { onRelayed: (_n, _l, b) => void batches.push([...new Set(b.events.map((e) => moduleOf(e.topic)))]) } }),
  );
  await vi.waitFor(async () => expect(await outboxCount(db!.pool)).toBe(0), { timeout: 10_000, interval: 20 });
  // Oldest rows first would have kept `late` behind all 1,500 rows of `big` (four batches); the
  // second batch starts after the module the first one took.
  console.log(`tally: modules per batch ${JSON.stringify(batches)}`);
  expect(batches[0]).toEqual(['big']);
  expect(batches[1]!.sort()).toEqual(['big', 'late']);
  expect((await streamOf(transport, 'big')).map(seqOf)).toEqual(Array.from({ length: 1_500 }, (_, i) => i));
});

it('module names that need quoting: the next claim starts after them all the same', async () => {
  db = await freshDatabase('quoting');
  const awkward = ["o'brien", 'back\\slash', "'; DROP TABLE agentbus_bridge.outbox; --", 'ünï', ''];
  const { rows } = await db.pool.query<{ v: string | null }>(`SELECT ${[...awkward, null].map((t) => sqlText(t)).join(' AS v UNION ALL SELECT ')} AS v`);
  expect(rows.map((r) => r.v)).toEqual([...awkward, null]);

  const transport = newTransport(uniquePrefix('quoting'));
  const event = JSON.stringify({ ...l1Event('fine', 0), timestamp: '2025-01-01T00:00:00Z' });
  // Plain SQL writers can put any module name in; such rows are set aside, and each one is the
  // relay's start for its next claim.
  await db.pool.query(`INSERT INTO agentbus_bridge.outbox (source_module, event) SELECT m, '{}'::json FROM unnest($1::text[]) AS m`, [awkward]);
  await db.pool.query(`INSERT INTO agentbus_bridge.outbox (source_module, event) VALUES ('fine', $1::json)`, [event]);
  const errors: Error[] = [];
  relays.push(createRelay({ pool: db.pool, transport, batchSize: 1, pollIntervalMs: 50, hooks: { onError: (e) => void errors.push(e) } }));
  await vi.waitFor(async () => expect(await outboxCount(db!.pool)).toBe(0), { timeout: 10_000, interval: 20 });
  expect(errors).toEqual([]);
  expect((await streamOf(transport, 'fine')).map(seqOf)).toEqual([0]);
  const dead = await db.pool.query<{ source_module: string }>('SELECT source_module FROM agentbus_bridge.outbox_dead ORDER BY id');
  expect(dead.rows.map((r) => r.source_module)).toEqual(awkward);
});

it('a schema older than the relay: each batch fails naming the migration to run, and relays once it ran', async () => {
  db = await freshDatabase('old_schema', false);
  await migrate(db.pool, loadMigrations().filter((m) => m.version === 1));
  const transport = newTransport(uniquePrefix('oldschema'));
  await recordL1(db.pool, l1Event('waiting', 0));
  const errors: Error[] = [];
  relays.push(createRelay({ pool: db.pool, transport, pollIntervalMs: 50, minBackoffMs: 20, maxBackoffMs: 50, hooks: { onError: (e) => void errors.push(e) } }));
  await vi.waitFor(() => expect(errors.length).toBeGreaterThan(0), { timeout: 10_000, interval: 10 });
  expect(errors[0]).toMatchObject({ code: 'NOT_FOUND' });
  expect(errors[0]!.message).toMatch(/agentbus-bridge migrate.*BRIDGE_MIGRATE=1/);
  expect(await migrate(db.pool)).toEqual({ applied: [2], version: 2 });
  await vi.waitFor(async () => expect((await streamOf(transport, 'waiting')).map(seqOf)).toEqual([0]), { timeout: 10_000, interval: 20 });
});
