import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { migrate } from '@agentbus/bridge';
import { l1Topic } from '@agentbus/schema';
import { startPostgres, type PostgresServer } from '@agentbus/test-utils';
import type { Transport } from '@agentbus/transport';
import type { ChildProcess } from 'node:child_process';
import { intFlag, numberFlag, parseFlags } from './args';
import { createLatencyTracker } from './bridge/latency';
import { CHILD_FLAG, runRelayChild, startRelayChild, stopRelayChild } from './bridge/relay-child';
import { runWriters } from './bridge/writers';
import { onCleanup, runCleanups } from './lifecycle';
import { startRedisServer } from './redis-server';
import { defaultResultPath, fmt, machineInfo, table, workspaceRoot, writeJson, type Cell, type Target } from './report';
import { nowMs, round, roundSummary, summarize, type Summary } from './stats';

export const description = 'PostgreSQL outbox -> Redis relay (@agentbus/bridge): committed rows/s reaching the stream, commit -> stream latency';

export const usage = `usage: npm run bench -- bridge [options]

Starts its own redis-server and PostgreSQL (the test harness: local binaries, Docker or
DATABASE_URL) on free 127.0.0.1 ports and migrates the outbox. One relay (createRelay) runs in a
process of its own, as \`agentbus-bridge relay\` would; the writers run in this process. Each writer
transaction is what an agent's memory write does: BEGIN; INSERT the business row(s); recordL1();
COMMIT. Latency is per event: COMMIT acknowledged to the writer -> XADD acknowledged to the relay.

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
  --out PATH             results file (default <workspace>/bench/results/bridge.json)
  -h, --help             this help`;

interface Config {
  seconds: number;
  rate: number;
  capacitySeconds: number;
  rowsPerTx: number;
  writers: number;
  modules: number;
  batchSize: number;
  pad: number;
  out: string;
}

export function parseBridgeArgs(argv: readonly string[]): Config | 'help' {
  const s = parseFlags(argv, ['seconds', 'rate', 'capacity-seconds', 'rows-per-tx', 'writers', 'modules', 'batch-size', 'pad', 'out']);
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
    out: s('out') !== undefined ? path.resolve(s('out') as string) : defaultResultPath('bridge'),
  };
}

interface PhaseReport {
  name: string;
  rate_per_s: number;
  rows_per_tx: number;
  transactions: number;
  seconds: number;
  committed: number;
  /** Rows of this phase that reached the stream, per second from the phase start to the last XADD. */
  per_s: number;
  commit_to_stream_ms: Summary;
  writer_commit_ms: Summary;
  drained_after_s: number;
  /** Events relayed per second after the writers stopped, while a backlog was left: the relay alone. */
  drain_per_s: number | null;
  duplicates: number;
  clamped: number;
  errors: string[];
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

async function startPostgresServer(): Promise<PostgresServer> {
  const server = await startPostgres();
  onCleanup(`postgres :${server.port}`, () => server.stop(), () => {
    if (server.pid) process.kill(server.pid, 'SIGKILL');
  });
  return server;
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
  const postgres = await startPostgresServer();
  const pool = new pg.Pool({ connectionString: postgres.url, max: cfg.writers + 2, application_name: 'bench-writer' });
  pool.on('error', () => undefined);
  let transport: Transport | undefined;
  let child: ChildProcess | undefined;
  try {
    await migrate(pool);
    await pool.query('CREATE TABLE bench_memory_log (id bigserial PRIMARY KEY, module text NOT NULL, body text NOT NULL, at timestamptz NOT NULL DEFAULT now())');
    const settings = Object.fromEntries(
      (await pool.query<{ name: string; setting: string }>(
        "SELECT name, setting FROM pg_settings WHERE name IN ('server_version', 'fsync', 'synchronous_commit', 'full_page_writes')",
      )).rows.map((r) => [r.name, r.setting]),
    );
    // Loaded on demand, as the streams bench does, so one bench's imports never break another's.
    const { createRedisTransport } = await import('@agentbus/transport');
    transport = createRedisTransport({ url: redis.url, namespace: 'bench' });
    const info = await transport.health();
    const machine = machineInfo(info.version ?? null);
    const modules = Array.from({ length: cfg.modules }, (_, i) => `bench${i}`);
    log(
      `redis-server ${info.version ?? '?'} on :${redis.port}; PostgreSQL ${settings.server_version ?? '?'} (${postgres.kind}, fsync=${settings.fsync}, ` +
        `synchronous_commit=${settings.synchronous_commit}) on :${postgres.port}; ${machine.cpus} x ${machine.cpu_model}; node ${machine.node}; load ${machine.loadavg_1m}`,
    );

    const tracker = createLatencyTracker();
    const relayErrors: string[] = [];
    child = await startRelayChild({ databaseUrl: postgres.url, redisUrl: redis.url, batchSize: cfg.batchSize }, (m) => {
      if (m.type === 'relayed') for (const [id, at, dup] of m.events) tracker.relayed(id, at, dup);
      else if (m.type === 'error' && relayErrors.length < 20) relayErrors.push(m.message);
    });
    onCleanup('relay process', () => void child?.kill('SIGKILL'), () => void child?.kill('SIGKILL'));

    let seq = 0;
    const phase = async (name: string, rate: number, rowsPerTx: number, seconds: number): Promise<PhaseReport> => {
      tracker.take();
      const w = await runWriters({
        pool,
        writers: cfg.writers,
        modules,
        rate,
        rowsPerTx,
        seconds,
        padBytes: cfg.pad,
        seqStart: seq,
        onCommit: (id, at) => tracker.committed(id, at),
      });
      seq += 1_000_000_000;
      const drainStart = nowMs();
      while (tracker.pending() > 0 && nowMs() - drainStart < 60_000) await sleep(5);
      const t = tracker.take();
      const end = Math.max(w.lastCommitAt, t.lastPublishedAt);
      const report: PhaseReport = {
        name,
        rate_per_s: rate,
        rows_per_tx: rowsPerTx,
        transactions: w.transactions,
        seconds,
        committed: w.committed,
        per_s: t.latencies.length / ((end - w.startedAt) / 1000),
        commit_to_stream_ms: summarize(t.latencies),
        writer_commit_ms: summarize(w.commitMs),
        drained_after_s: Math.max(0, (t.lastPublishedAt - w.lastCommitAt) / 1000),
        drain_per_s: drainRate(t.publishedAt, w.lastCommitAt, t.lastPublishedAt),
        duplicates: t.duplicates,
        clamped: t.clamped,
        errors: w.errors.slice(0, 5),
      };
      log(
        `${name}: ${fmt(w.committed)} events in ${fmt(w.transactions)} transactions (${rowsPerTx}/tx) at ${rate > 0 ? `${fmt(rate)}/s` : 'full speed'} for ${seconds} s -> ` +
          `${fmt(report.per_s)} events/s reached the stream; commit->stream p50 ${fmt(report.commit_to_stream_ms.p50, 2)} / ` +
          `p95 ${fmt(report.commit_to_stream_ms.p95, 2)} / p99 ${fmt(report.commit_to_stream_ms.p99, 2)} ms` +
          `${report.drain_per_s !== null ? `; backlog drained at ${fmt(report.drain_per_s)}/s after the writers stopped` : ''}` +
          `${t.latencies.length < w.committed ? ` (MISSING ${w.committed - t.latencies.length})` : ''}${w.errors.length ? `; writer errors: ${w.errors[0]}` : ''}`,
      );
      return report;
    };

    await phase('warm-up', cfg.rate, 1, 2);
    const target = await phase('target', cfg.rate, 1, cfg.seconds);
    const capacity = cfg.capacitySeconds > 0 ? await phase('capacity', 0, cfg.rowsPerTx, cfg.capacitySeconds) : undefined;
    const relayStats = await stopRelayChild(child);
    child = undefined;

    // Every committed row is in a stream exactly once: the streams hold what the writers committed.
    let inStreams = 0;
    for (const m of modules) inStreams += (await transport.stats(l1Topic(m))).length;
    const committedTotal = (await pool.query<{ n: string }>('SELECT count(*)::text AS n FROM bench_memory_log')).rows[0]!.n;
    const backlog = (await pool.query<{ n: string }>('SELECT count(*)::text AS n FROM agentbus_bridge.outbox')).rows[0]!.n;

    const result = buildResult(cfg, { target, capacity }, {
      machine,
      postgres: { kind: postgres.kind, ...settings },
      streamEntries: inStreams,
      committed: Number(committedTotal),
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
    await pool.end().catch(() => undefined);
    await runCleanups();
  }
}

function buildResult(
  cfg: Config,
  phases: { target: PhaseReport; capacity: PhaseReport | undefined },
  run: {
    machine: ReturnType<typeof machineInfo>;
    postgres: Record<string, string>;
    streamEntries: number;
    committed: number;
    backlog: number;
    relay: Record<string, unknown>;
    relayErrors: string[];
    duration: number;
  },
) {
  const t = phases.target;
  const c = phases.capacity;
  const target = (value: number | null, text: string, ok: (v: number) => boolean): Target => ({
    target: text,
    value: value === null || !Number.isFinite(value) ? null : round(value, 3),
    pass: value === null || !Number.isFinite(value) ? null : ok(value),
  });
  const phaseJson = (p: PhaseReport) => ({
    rate_per_s: p.rate_per_s > 0 ? p.rate_per_s : 'max',
    rows_per_tx: p.rows_per_tx,
    transactions: p.transactions,
    seconds: p.seconds,
    committed: p.committed,
    per_s: round(p.per_s, 0),
    commit_to_stream_ms: roundSummary(p.commit_to_stream_ms),
    writer_commit_ms: roundSummary(p.writer_commit_ms),
    drained_after_s: round(p.drained_after_s, 3),
    drain_per_s: p.drain_per_s === null ? null : round(p.drain_per_s, 0),
    duplicates: p.duplicates,
    latency_clamped_to_0: p.clamped,
    writer_errors: p.errors,
  });
  return {
    bench: 'bridge',
    date: new Date().toISOString(),
    per_s: round(t.per_s, 0),
    p50_ms: round(t.commit_to_stream_ms.p50),
    p95_ms: round(t.commit_to_stream_ms.p95),
    p99_ms: round(t.commit_to_stream_ms.p99),
    rate_per_s: t.rate_per_s,
    seconds: t.seconds,
    max_per_s: c ? round(c.per_s, 0) : null,
    max_p50_ms: c ? round(c.commit_to_stream_ms.p50) : null,
    max_p95_ms: c ? round(c.commit_to_stream_ms.p95) : null,
    max_p99_ms: c ? round(c.commit_to_stream_ms.p99) : null,
    relay_drain_per_s: c?.drain_per_s != null ? round(c.drain_per_s, 0) : null,
    targets: {
      p95_ms: target(t.commit_to_stream_ms.p95, `< 5 at ${t.rate_per_s}/s`, (v) => v < 5),
      // Offered at --rate, the measured rate comes out a hair under it (the phase's last events
      // reach the stream just after its end): 1% allowance.
      per_s: target(t.per_s, `>= 1000 for ${t.seconds} s (offered ${t.rate_per_s}/s, 1% allowance at the phase ends)`, (v) => v >= 990 && t.rate_per_s >= 1000),
      max_per_s: target(c ? c.per_s : null, '>= 10000 (aim: 10x)', (v) => v >= 10_000),
      exactly_once: target(run.streamEntries - run.committed, 'stream entries - committed rows = 0', (v) => v === 0),
    },
    phases: { target: phaseJson(t), ...(c ? { capacity: phaseJson(c) } : {}) },
    totals: {
      committed_rows: run.committed,
      stream_entries: run.streamEntries,
      outbox_backlog_after: run.backlog,
      relay: run.relay,
      relay_errors: run.relayErrors,
    },
    settings: { writers: cfg.writers, modules: cfg.modules, batch_size: cfg.batchSize, pad_bytes: cfg.pad, capacity_rows_per_tx: cfg.rowsPerTx },
    postgres: run.postgres,
    // Load before and after: the machine may be shared, and a busy one shows in the tail latencies.
    machine: { ...run.machine, loadavg_1m_after: round(os.loadavg()[0] ?? 0, 2) },
    method: {
      process: 'writers in the bench process; one relay (createRelay, default options but batch size) in a process of its own; redis-server and PostgreSQL separate processes on 127.0.0.1; all on this machine',
      writer_transaction: 'BEGIN; INSERT INTO bench_memory_log (rows_per_tx rows) RETURNING id; recordL1 / recordL1Many (rows_per_tx events); COMMIT',
      latency: 'commit -> stream: COMMIT acknowledged to the writer -> XADD acknowledged to the relay (RelayedEvent.publishedAt), per event; both wall clock (performance.timeOrigin + now) on one machine',
      per_s: 'rows of the phase that reached their stream / seconds from the phase start to the last XADD (a relay falling behind lowers it)',
      pacing: 'target phase: one global schedule over all writers, transaction i due at start + i / rate; capacity phase: unpaced; writers stop at the phase end',
      top_level: 'per_s, p50_ms, p95_ms, p99_ms: the target phase; max_*: the capacity phase; relay_drain_per_s: the capacity phase backlog drained by the relay alone after the writers stopped',
    },
    duration_s: round(run.duration, 1),
  };
}

function renderTable(phases: PhaseReport[]): string {
  const rows: Cell[][] = phases.map((p) => [
    p.name,
    p.rate_per_s > 0 ? fmt(p.rate_per_s) : 'max',
    p.rows_per_tx,
    p.seconds,
    fmt(p.committed),
    fmt(p.per_s),
    fmt(p.commit_to_stream_ms.p50, 2),
    fmt(p.commit_to_stream_ms.p95, 2),
    fmt(p.commit_to_stream_ms.p99, 2),
    fmt(p.writer_commit_ms.p50, 2),
    fmt(p.writer_commit_ms.p95, 2),
  ]);
  return table(['phase', 'events/s', 'per tx', 's', 'events', 'events/s to stream', 'p50 ms', 'p95 ms', 'p99 ms', 'commit p50', 'commit p95'], rows);
}

function renderTargets(targets: Record<string, Target>): string {
  const rows: Cell[][] = Object.entries(targets).map(([k, t]) => [k, t.value === null ? '-' : String(t.value), t.target, t.pass === null ? 'n/a' : t.pass ? 'pass' : 'MISS']);
  return `targets (reported only; a miss never fails the run)\n${table(['target', 'value', 'goal', 'result'], rows)}`;
}
