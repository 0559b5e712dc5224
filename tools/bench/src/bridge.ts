import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { migrate } from '@agentbus/bridge';
import type { Transport } from '@agentbus/transport';
import { intFlag, numberFlag, parseFlags } from './args';
import { compareIds, readStreamIds } from './bridge/exactly-once';
import { createLatencyTracker, type LatencyTracker } from './bridge/latency';
import { readSettings, startBenchPostgres } from './bridge/postgres';
import { CHILD_FLAG, runRelayChild, startRelayChild, stopRelayChild } from './bridge/relay-child';
import { buildResult, renderTable, type BridgeConfig, type PhaseReport } from './bridge/result';
import { runWriters } from './bridge/writers';
import { onCleanup, runCleanups } from './lifecycle';
import { startRedisServer } from './redis-server';
import { defaultResultPath, fmt, machineInfo, renderTargets, workspaceRoot, writeJson } from './report';
import { nowMs, summarize } from './stats';

export const description = 'PostgreSQL outbox -> Redis relay (@agentbus/bridge): committed rows/s reaching the stream, commit -> stream latency';

export const usage = `usage: npm run bench -- bridge [options]

Starts its own redis-server and PostgreSQL (the test harness: local binaries, Docker or
DATABASE_URL) on free 127.0.0.1 ports and migrates the outbox. PostgreSQL runs at its own
defaults (fsync, synchronous_commit, full_page_writes on: every COMMIT waits for its WAL flush)
unless --fast-pg; an external DATABASE_URL server keeps its settings; the settings in effect are
printed and in the results. One relay (createRelay) runs in a process of its own, as
\`agentbus-bridge relay\` would; the writers run in this process. Each writer transaction is what an
agent's memory write does: BEGIN; INSERT the business row(s); recordL1(); COMMIT.

Latency is per event, bounded from both sides: XADD acknowledged to the relay minus COMMIT
acknowledged to the writer (lower bound; negative when the writer saw its ack late, kept and
counted) and minus COMMIT sent (upper bound). The p95 target passes when the upper bound is under
it, misses when the lower bound is not, and is inconclusive in between. Exactly once compares
ids: every row id PostgreSQL committed against the base_log_id of every stream entry, and every
acknowledged event id against the envelope ids.

Phases: warm-up (2 s); target: --rate events/s, one per transaction, for --seconds (the plan:
p95 < 5 ms at >= 1,000/s; per_s and p50/p95/p99 in the results come from it); capacity: writers as
fast as they go with --rows-per-tx events per transaction, for --capacity-seconds (max_per_s: rows
committed per second that reached the stream, aim 10x). Writes bench/results/bridge.json. Missed
targets are reported, never an error exit.

options:
  --seconds S            length of the target phase (default 20; the plan asks for 60)
  --rate N               events per second in the target phase (default 1000)
  --capacity-seconds S   length of the capacity phase (default 10; 0 skips it)
  --rows-per-tx N        events per transaction in the capacity phase (default 10)
  --writers N            writer connections (default 8)
  --modules N            source modules, i.e. streams (default 4)
  --batch-size N         relay batch size (default 500)
  --pad N                bytes of payload per event (default 200)
  --fast-pg              PostgreSQL with fsync, synchronous_commit and full_page_writes off (the
                         test harness' settings; not what production runs)
  --out PATH             results file (default <workspace>/bench/results/bridge.json)
  -h, --help             this help`;

export function parseBridgeArgs(argv: readonly string[]): BridgeConfig | 'help' {
  const s = parseFlags(argv, ['seconds', 'rate', 'capacity-seconds', 'rows-per-tx', 'writers', 'modules', 'batch-size', 'pad', 'out'], ['fast-pg']);
  if (s === 'help') return 'help';
  return {
    seconds: numberFlag('seconds', s('seconds'), 20),
    rate: intFlag('rate', s('rate'), 1_000),
    capacitySeconds: s('capacity-seconds') === '0' ? 0 : numberFlag('capacity-seconds', s('capacity-seconds'), 10),
    rowsPerTx: intFlag('rows-per-tx', s('rows-per-tx'), 10),
    writers: intFlag('writers', s('writers'), 8),
    modules: intFlag('modules', s('modules'), 4),
    batchSize: intFlag('batch-size', s('batch-size'), 500),
    pad: intFlag('pad', s('pad'), 200, 0),
    pg: s('fast-pg') === 'true' ? 'fast' : 'production',
    out: s('out') !== undefined ? path.resolve(s('out') as string) : defaultResultPath('bridge'),
  };
}

const log = (msg: string) => console.log(`[bridge] ${msg}`);

/** Relay rate with the writers stopped: events XADDed after the last commit, over that time; null when under 0.5 s of backlog was left. */
export function drainRate(publishedAt: readonly number[], writersEnd: number, lastPublishedAt: number): number | null {
  const seconds = (lastPublishedAt - writersEnd) / 1000;
  if (!(seconds >= 0.5)) return null;
  let n = 0;
  for (const t of publishedAt) if (t > writersEnd) n++;
  return n / seconds;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface PhaseContext {
  cfg: BridgeConfig;
  pool: pg.Pool;
  modules: string[];
  tracker: LatencyTracker;
  /** Event ids of every COMMIT a writer saw acknowledged. */
  acked: string[];
  seq: number;
}

/** One phase of writers, then waiting (up to 60 s) for the relay to catch up. */
async function runPhase(ctx: PhaseContext, name: string, rate: number, rowsPerTx: number, seconds: number): Promise<PhaseReport> {
  ctx.tracker.take();
  const w = await runWriters({
    pool: ctx.pool,
    writers: ctx.cfg.writers,
    modules: ctx.modules,
    rate,
    rowsPerTx,
    seconds,
    padBytes: ctx.cfg.pad,
    seqStart: ctx.seq,
    onCommit: (id, at) => {
      ctx.acked.push(id);
      ctx.tracker.committed(id, at);
    },
  });
  ctx.seq += 1_000_000_000;
  const drainStart = nowMs();
  while (ctx.tracker.pending() > 0 && nowMs() - drainStart < 60_000) await sleep(5);
  const t = ctx.tracker.take();
  const end = Math.max(w.lastCommitAt, t.lastPublishedAt);
  const report: PhaseReport = {
    name,
    rate_per_s: rate,
    rows_per_tx: rowsPerTx,
    transactions: w.transactions,
    seconds,
    committed: w.committed,
    per_s: t.fromAck.length / ((end - w.startedAt) / 1000),
    from_ack_ms: summarize(t.fromAck),
    from_sent_ms: summarize(t.fromSent),
    negative_from_ack: t.negativeFromAck,
    negative_from_sent: t.negativeFromSent,
    writer_commit_ms: summarize(w.commitMs),
    commit_round_trip_ms: summarize(w.commitRoundTripMs),
    drained_after_s: Math.max(0, (t.lastPublishedAt - w.lastCommitAt) / 1000),
    drain_per_s: drainRate(t.publishedAt, w.lastCommitAt, t.lastPublishedAt),
    duplicates: t.duplicates,
    errors: w.errors.slice(0, 5),
  };
  const b = (lo: number, hi: number) => `${fmt(lo, 2)}..${fmt(hi, 2)}`;
  log(
    `${name}: ${fmt(w.committed)} events in ${fmt(w.transactions)} transactions (${rowsPerTx}/tx) at ${rate > 0 ? `${fmt(rate)}/s` : 'full speed'} for ${seconds} s -> ` +
      `${fmt(report.per_s)} events/s reached the stream; commit->stream (from COMMIT ack..from COMMIT sent) p50 ${b(report.from_ack_ms.p50, report.from_sent_ms.p50)} / ` +
      `p95 ${b(report.from_ack_ms.p95, report.from_sent_ms.p95)} / p99 ${b(report.from_ack_ms.p99, report.from_sent_ms.p99)} ms; ` +
      `negative ${t.negativeFromAck}/${t.negativeFromSent}; COMMIT round trip p50 ${fmt(report.commit_round_trip_ms.p50, 2)} ms` +
      `${report.drain_per_s !== null ? `; backlog drained at ${fmt(report.drain_per_s)}/s after the writers stopped` : ''}` +
      `${t.fromAck.length < w.committed ? ` (MISSING ${w.committed - t.fromAck.length})` : ''}${w.errors.length ? `; writer errors: ${w.errors[0]}` : ''}`,
  );
  return report;
}

export async function run(argv: readonly string[]): Promise<void> {
  if (argv[0] === CHILD_FLAG) {
    await runRelayChild(argv[1] ?? '{}');
    return;
  }
  const parsed = parseBridgeArgs(argv);
  if (parsed === 'help') {
    console.log(usage);
    return;
  }
  const cfg = parsed;
  const started = performance.now();
  const redis = await startRedisServer();
  const postgres = await startBenchPostgres(cfg.pg);
  const pool = new pg.Pool({ connectionString: postgres.url, max: cfg.writers + 2, application_name: 'bench-writer' });
  pool.on('error', () => undefined);
  let transport: Transport | undefined;
  let child: ChildProcess | undefined;
  const admin = new Redis(redis.url);
  admin.on('error', () => undefined);
  try {
    await migrate(pool);
    await pool.query('CREATE TABLE bench_memory_log (id bigserial PRIMARY KEY, module text NOT NULL, body text NOT NULL, at timestamptz NOT NULL DEFAULT now())');
    const pgSettings = await readSettings(pool, cfg.pg);
    // Loaded on demand, as the streams bench does, so one bench's imports never break another's.
    const { createRedisTransport } = await import('@agentbus/transport');
    transport = createRedisTransport({ url: redis.url, namespace: 'bench' });
    const info = await transport.health();
    const machine = machineInfo(info.version ?? null);
    const s = pgSettings.settings;
    log(
      `redis-server ${info.version ?? '?'} on :${redis.port}; PostgreSQL ${s.server_version ?? '?'} (${postgres.kind}, ${cfg.pg} profile: fsync=${s.fsync}, ` +
        `synchronous_commit=${s.synchronous_commit}, full_page_writes=${s.full_page_writes}, wal_sync_method=${s.wal_sync_method})` +
        `${pgSettings.applied ? '' : ` NOT the ${cfg.pg} profile asked for (${JSON.stringify(pgSettings.asked)})`} on :${postgres.port}; ` +
        `${machine.cpus} x ${machine.cpu_model}; node ${machine.node}; load ${machine.loadavg_1m}`,
    );

    const tracker = createLatencyTracker();
    const relayErrors: string[] = [];
    child = await startRelayChild({ databaseUrl: postgres.url, redisUrl: redis.url, batchSize: cfg.batchSize }, (m) => {
      if (m.type === 'relayed') for (const [id, at, dup] of m.events) tracker.relayed(id, at, dup);
      else if (m.type === 'error' && relayErrors.length < 20) relayErrors.push(m.message);
    });
    onCleanup('relay process', () => void child?.kill('SIGKILL'), () => void child?.kill('SIGKILL'));

    const ctx: PhaseContext = { cfg, pool, modules: Array.from({ length: cfg.modules }, (_, i) => `bench${i}`), tracker, acked: [], seq: 0 };
    await runPhase(ctx, 'warm-up', cfg.rate, 1, 2);
    const target = await runPhase(ctx, 'target', cfg.rate, 1, cfg.seconds);
    const capacity = cfg.capacitySeconds > 0 ? await runPhase(ctx, 'capacity', 0, cfg.rowsPerTx, cfg.capacitySeconds) : undefined;
    const relayStats = await stopRelayChild(child);
    child = undefined;

    // Every committed row in a stream exactly once: ids against ids, not counts.
    const streamed = await readStreamIds(admin, '*mem0.recorded*');
    const rowIds = (await pool.query<{ id: string }>('SELECT id::text AS id FROM bench_memory_log')).rows.map((r) => r.id);
    const rows = compareIds(rowIds, streamed.baseLogIds);
    const events = compareIds(ctx.acked, streamed.eventIds);
    const backlog = (await pool.query<{ n: string }>('SELECT count(*)::text AS n FROM agentbus_bridge.outbox')).rows[0]!.n;
    log(
      `exactly once by row id: ${fmt(rows.committed)} committed, ${fmt(rows.stream_entries)} stream entries, missing ${rows.missing}, ` +
        `duplicates ${rows.duplicates}, unexpected ${rows.unexpected}; by event id: missing ${events.missing}, duplicates ${events.duplicates}, unexpected ${events.unexpected}`,
    );

    const result = buildResult(cfg, { target, capacity }, {
      machine,
      postgres: { kind: postgres.kind, profile: cfg.pg, ...pgSettings },
      rows,
      events,
      unreadableEntries: streamed.unreadable,
      backlog: Number(backlog),
      relay: relayStats,
      relayErrors,
      duration: (performance.now() - started) / 1000,
    });
    console.log('');
    console.log(renderTable([target, capacity].filter((p): p is PhaseReport => p !== undefined)));
    console.log('');
    console.log(renderTargets(result.targets));
    writeJson(cfg.out, result);
    const rel = path.relative(workspaceRoot(), cfg.out);
    console.log(`\nwrote ${rel.startsWith('..') ? cfg.out : rel}`);
  } finally {
    if (child) await stopRelayChild(child).catch(() => undefined);
    await transport?.close().catch(() => undefined);
    admin.disconnect();
    await pool.end().catch(() => undefined);
    await runCleanups();
  }
}
