import path from 'node:path';
import { Redis } from 'ioredis';
import { errText, intFlag, intListFlag, listFlag, numberFlag, parseFlags } from './args';
import { runCleanups } from './lifecycle';
import { startRedisServer } from './redis-server';
import { defaultResultPath, fmt, machineInfo, renderTargets, workspaceRoot, writeJson } from './report';
import { median, summarize } from './stats';
import { bullmqContender } from './streams/bullmq';
import { envelopeFactory, type Contender, type ContenderName, type EnvelopeFactory } from './streams/common';
import { oursContender, type OursVariant } from './streams/ours';
import { MIN_PAIRED_RUNS, planRounds, renderOverheads } from './streams/overhead';
import { rawContender } from './streams/raw';
import { buildResult, overheadLines, renderComparison, renderTable, type ContenderReport } from './streams/result';
import { OVERHEAD_TARGET, OVERHEADS, RATIOS } from './streams/specs';

export { OVERHEAD_TARGET, OVERHEADS, RATIOS, type OverheadSpec, type RatioSpec } from './streams/specs';

export const description = 'Redis Streams: @agentbus/transport vs raw ioredis vs BullMQ (throughput, latency)';

const CONTENDERS: readonly ContenderName[] = ['ours', 'ours-nolease', 'ours+metrics', 'ours+reliability', 'ours+dedupe', 'raw', 'bullmq'];
/** What `--only` defaults to; the overhead variants of ours join them (see `variants`). */
const MAIN_CONTENDERS: readonly ContenderName[] = ['ours', 'raw', 'bullmq'];
const OURS_VARIANTS: readonly ContenderName[] = ['ours-nolease', 'ours+metrics', 'ours+reliability', 'ours+dedupe'];
const OURS_VARIANT: Record<'ours' | 'ours-nolease' | 'ours+metrics' | 'ours+reliability' | 'ours+dedupe', OursVariant> = {
  ours: 'plain',
  'ours-nolease': 'nolease',
  'ours+metrics': 'metrics',
  'ours+reliability': 'reliability',
  'ours+dedupe': 'dedupe',
};
/**
 * The contenders that are one side of a paired figure (an overhead, a ratio) whose other side runs
 * too: they run at least MIN_PAIRED_RUNS rounds, whatever `--runs` says, so every such figure is a
 * median of >= 3 pairs.
 */
export function pairedContenders(names: readonly ContenderName[]): Set<ContenderName> {
  const paired = new Set<ContenderName>();
  for (const o of [...OVERHEADS, ...RATIOS]) {
    if (names.includes(o.base) && names.includes(o.variant)) {
      paired.add(o.base);
      paired.add(o.variant);
    }
  }
  return paired;
}

/** The contenders in run order: ours' variants right after ours (so a pair runs close together). */
export function contenderOrder(cfg: Pick<Config, 'only' | 'variants'>): ContenderName[] {
  const names = cfg.only.flatMap((n) => (n === 'ours' ? [n, ...cfg.variants] : [n]));
  return [...new Set([...names, ...cfg.variants])];
}

export const usage = `usage: npm run bench -- streams [options]

Starts its own redis-server on a free 127.0.0.1 port (no persistence, temp dir), then measures
end-to-end publish -> handler -> ack of ~200-byte JSON envelopes, one producer and one consumer in
this one process, for: ours (@agentbus/transport), raw (ioredis XADD/XREADGROUP/XACK), bullmq.
Every contender moves the same number of messages per run (--messages; BullMQ too).
With ours run ours-nolease (the same consumer with leaseRenewMs: 0; ours keeps the lease
defaults), ours+metrics (@agentbus/metrics transport hooks on), ours+reliability (consumed
through @agentbus/reliability) and ours+dedupe (publish dedupe on at the default window; the
others publish without, as raw does), for lease_overhead (1 - ours msg/s over ours-nolease'),
metrics_overhead, reliability_overhead and dedupe_overhead (1 - their msg/s over ours').
Every ratio and overhead is the median of the run-by-run ratios of at least ${MIN_PAIRED_RUNS} paired
runs (contenders alternate within a round), reported with its IQR and range; a target inside the
IQR is reported as inconclusive. Figures where raw or BullMQ beat ours are listed. Writes
bench/results/streams.json. Missed targets are reported, never an error exit.

options:
  --messages N            messages per throughput run, every contender (default 50000)
  --bullmq-messages N     messages per BullMQ run (default: --messages; another count is marked
                          in the results and ratio_vs_bullmq is then not like for like)
  --runs N                throughput runs per contender, median reported (default 5); ours, raw
                          and the overhead variants run at least ${MIN_PAIRED_RUNS} (raised when lower)
  --bullmq-runs N         throughput runs for BullMQ (default 3: at 3-7k jobs/s one takes 7-17 s)
  --batch N               envelopes per publishBatch / pipeline / addBulk (default 1000)
  --seconds S             time limit of each measured phase (default 30)
  --budget S              time limit of the whole bench; later phases are skipped (default 180)
  --only LIST             contenders, comma-separated: ${CONTENDERS.join(',')}
                          (default ours,raw,bullmq plus ${OURS_VARIANTS.join(',')})
  --concurrency N         ours: consume concurrency (default 100)
  --prefetch N            ours: consume prefetch (default 1000)
  --read-count N          raw: XREADGROUP COUNT (default 1000)
  --bullmq-concurrency L  BullMQ worker concurrencies tried in the warm-up, fastest kept (default 10,50,100,200)
  --warmup N              warm-up messages (default 20000; BullMQ at most 5000, then 5000 per candidate)
  --rate N                paced-latency phase: messages per second (default 2000)
  --paced-seconds S       paced-latency phase length (default 2)
  --publish-count N       unloaded sequential publishes timed for publish p95 (default 2000)
  --out PATH              results file (default <workspace>/bench/results/streams.json)
  -h, --help              this help`;

export interface Config {
  only: ContenderName[];
  /** Run besides `only` when --only is not given: ours without leases, with metrics, with reliability. */
  variants: ContenderName[];
  messages: number;
  bullmqMessages: number;
  runs: number;
  bullmqRuns: number;
  batch: number;
  seconds: number;
  budget: number;
  concurrency: number;
  prefetch: number;
  readCount: number;
  bullmqConcurrency: number[];
  warmup: number;
  rate: number;
  pacedSeconds: number;
  publishCount: number;
  out: string;
}

export function parseStreamsArgs(argv: readonly string[]): Config | 'help' {
  const s = parseFlags(argv, [
    'messages', 'bullmq-messages', 'runs', 'bullmq-runs', 'batch', 'seconds', 'budget', 'only', 'concurrency', 'prefetch',
    'read-count', 'bullmq-concurrency', 'warmup', 'rate', 'paced-seconds', 'publish-count', 'out',
  ]);
  if (s === 'help') return 'help';
  const messages = intFlag('messages', s('messages'), 50_000);
  const only = s('only');
  return {
    only: only === undefined ? [...MAIN_CONTENDERS] : listFlag('only', only, CONTENDERS),
    variants: only === undefined ? [...OURS_VARIANTS] : [],
    messages,
    bullmqMessages: intFlag('bullmq-messages', s('bullmq-messages'), messages),
    runs: intFlag('runs', s('runs'), 5),
    bullmqRuns: intFlag('bullmq-runs', s('bullmq-runs'), 3),
    batch: intFlag('batch', s('batch'), 1000),
    seconds: numberFlag('seconds', s('seconds'), 30),
    budget: numberFlag('budget', s('budget'), 180),
    concurrency: intFlag('concurrency', s('concurrency'), 100),
    prefetch: intFlag('prefetch', s('prefetch'), 1000),
    readCount: intFlag('read-count', s('read-count'), 1000),
    bullmqConcurrency: intListFlag('bullmq-concurrency', s('bullmq-concurrency'), [10, 50, 100, 200]),
    warmup: intFlag('warmup', s('warmup'), 20_000, 0),
    rate: intFlag('rate', s('rate'), 2000),
    pacedSeconds: numberFlag('paced-seconds', s('paced-seconds'), 2),
    publishCount: intFlag('publish-count', s('publish-count'), 2000),
    out: s('out') !== undefined ? path.resolve(s('out') as string) : defaultResultPath('streams'),
  };
}

const log = (msg: string) => console.log(`[streams] ${msg}`);

/** What the phases share: the budget, the reports, a runner that records a phase's error and goes on. */
interface Session {
  cfg: Config;
  reports: Map<ContenderName, ContenderReport>;
  contenders: Contender[];
  phaseMs(): number;
  phase<T>(c: Contender, what: string, fn: () => Promise<T>): Promise<T | undefined>;
}

export async function run(argv: readonly string[]): Promise<void> {
  const parsed = parseStreamsArgs(argv);
  if (parsed === 'help') {
    console.log(usage);
    return;
  }
  const cfg = parsed;
  const started = performance.now();
  const budgetEnd = started + cfg.budget * 1000;
  const remainingMs = () => budgetEnd - performance.now();

  const server = await startRedisServer();
  let admin: Redis | null = null;
  const contenders: Contender[] = [];
  try {
    admin = new Redis(server.url);
    admin.on('error', () => undefined);
    const redisVersion = /redis_version:(\S+)/.exec(await admin.info('server'))?.[1] ?? null;
    const machine = machineInfo(redisVersion);
    const factory = envelopeFactory(200);
    log(
      `redis-server ${redisVersion ?? '?'} pid ${server.pid} on 127.0.0.1:${server.port}; ` +
        `${machine.cpus} x ${machine.cpu_model}; node ${machine.node}; load ${machine.loadavg_1m}; envelopes ${factory.bytes} bytes`,
    );
    const reports = await createContenders(cfg, factory, server, contenders);
    const flushDb = admin;
    const session: Session = {
      cfg,
      reports,
      contenders,
      phaseMs: () => Math.max(0, Math.min(cfg.seconds * 1000, remainingMs())),
      async phase(c, what, fn) {
        if (remainingMs() <= 1000) return recordError(reports, c, `${what}: skipped, --budget ${cfg.budget} s used up`);
        try {
          return await fn();
        } catch (e) {
          return recordError(reports, c, `${what}: ${errText(e)}`);
        } finally {
          await flushDb.flushall();
        }
      },
    };
    await warmUp(session);
    await publishLatency(session);
    await throughputRounds(session);
    await pacedLatency(session);
    summarizeRuns(session);

    const result = buildResult(cfg, reports, machine, factory.bytes, (performance.now() - started) / 1000);
    console.log('');
    console.log(renderTable(reports, cfg));
    console.log('');
    console.log(renderOverheads(OVERHEAD_TARGET, overheadLines(reports)));
    console.log('');
    console.log(renderComparison(result.vs_baselines));
    console.log('');
    console.log(renderTargets(result.targets));
    writeJson(cfg.out, result);
    const rel = path.relative(workspaceRoot(), cfg.out);
    console.log(`\nwrote ${rel.startsWith('..') ? cfg.out : rel}`);
  } finally {
    for (const c of contenders) await c.close().catch(() => undefined);
    await admin?.quit().catch(() => undefined);
    await server.stop();
    await runCleanups();
  }
}

function recordError(reports: Map<ContenderName, ContenderReport>, c: Contender, msg: string): undefined {
  reports.get(c.name)?.errors.push(msg);
  log(`${c.name} ${msg}`);
  return undefined;
}

/** A report for every contender asked for; the contenders that could be set up go into `out`. */
async function createContenders(
  cfg: Config,
  factory: EnvelopeFactory,
  server: { url: string; host: string; port: number },
  out: Contender[],
): Promise<Map<ContenderName, ContenderReport>> {
  const reports = new Map<ContenderName, ContenderReport>();
  for (const name of contenderOrder(cfg)) {
    const messages = name === 'bullmq' ? cfg.bullmqMessages : cfg.messages;
    const report: ContenderReport = { available: false, label: name, messages, runs: [], rounds: [], perSecond: null, errors: [] };
    reports.set(name, report);
    try {
      const c =
        name === 'raw'
          ? rawContender(factory, { url: server.url, readCount: cfg.readCount })
          : name === 'bullmq'
            ? await bullmqContender(factory, {
                host: server.host,
                port: server.port,
                concurrency: cfg.bullmqConcurrency,
                tuneMessages: Math.min(cfg.bullmqMessages, 5000),
              })
            : await oursContender(factory, {
                url: server.url,
                namespace: 'bench',
                concurrency: cfg.concurrency,
                prefetch: cfg.prefetch,
                variant: OURS_VARIANT[name],
              });
      out.push(c);
      report.available = true;
      report.label = c.label;
    } catch (e) {
      report.error = errText(e);
      log(`${name}: not available: ${report.error}`);
    }
  }
  return reports;
}

/** 1. Warm-up (BullMQ: also picks its best worker concurrency). */
async function warmUp(s: Session): Promise<void> {
  for (const c of s.contenders) {
    const r = s.reports.get(c.name) as ContenderReport;
    const messages = c.name === 'bullmq' ? Math.min(s.cfg.warmup, 5000) : s.cfg.warmup;
    if (messages === 0) continue;
    const t = performance.now();
    const note = await s.phase(c, 'warm-up', () => c.warmup({ tag: `${c.name}-warmup`, messages, batch: s.cfg.batch, timeoutMs: s.phaseMs() }));
    if (typeof note === 'string') r.warmup = note;
    log(`${c.name} warm-up ${fmt((performance.now() - t) / 1000, 1)} s${note ? `: ${note}` : ''}`);
  }
}

/** 2. Unloaded publish latency: one publisher, sequential awaits, nothing else running. */
async function publishLatency(s: Session): Promise<void> {
  for (const c of s.contenders) {
    const r = s.reports.get(c.name) as ContenderReport;
    const durations = await s.phase(c, 'publish latency', async () => {
      await c.sequentialPublish(`${c.name}-pubwarm`, Math.min(200, s.cfg.publishCount));
      return c.sequentialPublish(`${c.name}-pub`, s.cfg.publishCount);
    });
    if (!durations) continue;
    r.publish = summarize(durations);
    log(`${c.name} publish x${s.cfg.publishCount}: p50 ${fmt(r.publish.p50, 3)} ms, p95 ${fmt(r.publish.p95, 3)} ms`);
  }
}

/**
 * 3. Throughput runs, the contenders' order rotated and reversed from round to round so drift on a
 * noisy machine spreads evenly and the two sides of a pair alternate.
 */
async function throughputRounds(s: Session): Promise<void> {
  const byName = new Map(s.contenders.map((c) => [c.name, c]));
  const paired = pairedContenders([...byName.keys()]);
  const plan = planRounds([...byName.keys()], s.cfg.runs, paired, MIN_PAIRED_RUNS, new Map([['bullmq', s.cfg.bullmqRuns]]));
  const runsOf = (name: ContenderName) => plan.filter((round) => round.includes(name)).length;
  if (s.cfg.runs < MIN_PAIRED_RUNS && paired.size > 0) {
    log(`--runs ${s.cfg.runs} raised to ${MIN_PAIRED_RUNS} for ${[...paired].join(', ')}: every paired figure is a median of >= ${MIN_PAIRED_RUNS} rounds`);
  }
  for (const [run, order] of plan.entries()) {
    for (const name of order) {
      const c = byName.get(name) as Contender;
      const r = s.reports.get(c.name) as ContenderReport;
      const res = await s.phase(c, `run ${run + 1}`, () =>
        c.throughput({ tag: `${c.name}-run${run + 1}`, messages: r.messages, batch: s.cfg.batch, timeoutMs: s.phaseMs() }),
      );
      if (!res) continue;
      r.runs.push(res);
      r.rounds.push(run);
      log(
        `${c.name} run ${run + 1}/${runsOf(c.name)}: ${fmt(res.acked)}/${fmt(res.published)} in ${fmt(res.seconds, 3)} s = ` +
          `${fmt(res.perSecond)} msg/s${res.complete ? '' : ' (INCOMPLETE: time limit)'}; ` +
          `latency p50 ${fmt(res.latency.p50, 1)} / p99 ${fmt(res.latency.p99, 1)} ms`,
      );
    }
  }
}

/** 4. Paced latency: a steady rate well below every contender's capacity. */
async function pacedLatency(s: Session): Promise<void> {
  const messages = Math.max(1, Math.round(s.cfg.rate * s.cfg.pacedSeconds));
  for (const c of s.contenders) {
    const r = s.reports.get(c.name) as ContenderReport;
    const res = await s.phase(c, 'paced latency', () => c.paced({ tag: `${c.name}-paced`, rate: s.cfg.rate, messages, timeoutMs: s.phaseMs() }));
    if (!res) continue;
    r.paced = res;
    log(
      `${c.name} paced ${fmt(s.cfg.rate)} msg/s: ${fmt(res.received)}/${fmt(res.published)} received, ` +
        `p50 ${fmt(res.latency.p50, 3)} ms, p99 ${fmt(res.latency.p99, 3)} ms`,
    );
  }
}

/** Per contender: the median of its complete runs (all of them when none completed). */
function summarizeRuns(s: Session): void {
  for (const c of s.contenders) {
    const r = s.reports.get(c.name) as ContenderReport;
    r.settings = c.settings();
    const complete = r.runs.filter((x) => x.complete);
    const counted = complete.length ? complete : r.runs;
    r.perSecond = counted.length ? median(counted.map((x) => x.perSecond)) : null;
    if (counted.length) {
      r.saturated = { p50: median(counted.map((x) => x.latency.p50)), p99: median(counted.map((x) => x.latency.p99)) };
    }
  }
}
