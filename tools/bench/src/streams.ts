import path from 'node:path';
import { Redis } from 'ioredis';
import { errText, intFlag, intListFlag, listFlag, numberFlag, parseFlags } from './args';
import { runCleanups } from './lifecycle';
import { startRedisServer } from './redis-server';
import { defaultResultPath, fmt, machineInfo, table, workspaceRoot, writeJson, type Cell, type Target } from './report';
import { median, round, roundSummary, summarize, type Summary } from './stats';
import { bullmqContender } from './streams/bullmq';
import {
  envelopeFactory,
  type Contender,
  type ContenderName,
  type PacedResult,
  type ThroughputResult,
} from './streams/common';
import { oursContender, type OursVariant } from './streams/ours';
import { pairedOverhead, renderOverheads } from './streams/overhead';
import { rawContender } from './streams/raw';

export const description = 'Redis Streams: @agentbus/transport vs raw ioredis vs BullMQ (throughput, latency)';

const CONTENDERS: readonly ContenderName[] = ['ours', 'ours+metrics', 'ours+reliability', 'raw', 'bullmq'];
/** What `--only` defaults to; the overhead variants of ours join them (see `variants`). */
const MAIN_CONTENDERS: readonly ContenderName[] = ['ours', 'raw', 'bullmq'];
const OURS_VARIANTS: readonly ContenderName[] = ['ours+metrics', 'ours+reliability'];
const OURS_VARIANT: Record<'ours' | 'ours+metrics' | 'ours+reliability', OursVariant> = {
  ours: 'plain',
  'ours+metrics': 'metrics',
  'ours+reliability': 'reliability',
};
/** Overheads above this fraction of ours' throughput are reported as a miss. */
const OVERHEAD_TARGET = 0.1;

export const usage = `usage: npm run bench -- streams [options]

Starts its own redis-server on a free 127.0.0.1 port (no persistence, temp dir), then measures
end-to-end publish -> handler -> ack of ~200-byte JSON envelopes, one producer and one consumer in
this one process, for: ours (@agentbus/transport), raw (ioredis XADD/XREADGROUP/XACK), bullmq.
With ours run ours+metrics (@agentbus/metrics transport hooks on) and ours+reliability (consumed
through @agentbus/reliability), for metrics_overhead and reliability_overhead (1 - their msg/s
over ours'). Writes bench/results/streams.json. Missed targets are reported, never an error exit.

options:
  --messages N            messages per throughput run, ours and raw (default 50000)
  --bullmq-messages N     messages per throughput run for BullMQ (default min(20000, messages))
  --runs N                throughput runs per contender, median reported (default 5)
  --batch N               envelopes per publishBatch / pipeline / addBulk (default 1000)
  --seconds S             time limit of each measured phase (default 30)
  --budget S              time limit of the whole bench; later phases are skipped (default 120)
  --only LIST             contenders, comma-separated: ours,ours+metrics,ours+reliability,raw,bullmq
                          (default ours,raw,bullmq plus ours+metrics,ours+reliability)
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

interface Config {
  only: ContenderName[];
  /** Run besides `only` when --only is not given: ours with metrics, ours with reliability. */
  variants: ContenderName[];
  messages: number;
  bullmqMessages: number;
  runs: number;
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
  const s = parseFlags(argv, ['messages', 'bullmq-messages', 'runs', 'batch', 'seconds', 'budget', 'only', 'concurrency', 'prefetch', 'read-count', 'bullmq-concurrency', 'warmup', 'rate', 'paced-seconds', 'publish-count', 'out']);
  if (s === 'help') return 'help';
  const messages = intFlag('messages', s('messages'), 50_000);
  const only = s('only');
  return {
    only: only === undefined ? [...MAIN_CONTENDERS] : listFlag('only', only, CONTENDERS),
    variants: only === undefined ? [...OURS_VARIANTS] : [],
    messages,
    bullmqMessages: intFlag('bullmq-messages', s('bullmq-messages'), Math.min(20_000, messages)),
    runs: intFlag('runs', s('runs'), 5),
    batch: intFlag('batch', s('batch'), 1000),
    seconds: numberFlag('seconds', s('seconds'), 30),
    budget: numberFlag('budget', s('budget'), 120),
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

interface ContenderReport {
  available: boolean;
  label: string;
  error?: string;
  settings?: Record<string, unknown>;
  warmup?: string;
  messages: number;
  runs: ThroughputResult[];
  /** The round (0-based) of each entry of `runs`, to pair contenders measured side by side. */
  rounds: number[];
  perSecond: number | null;
  saturated?: { p50: number; p99: number };
  paced?: PacedResult;
  publish?: Summary;
  errors: string[];
}

const log = (msg: string) => console.log(`[streams] ${msg}`);

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
  const phaseMs = () => Math.max(0, Math.min(cfg.seconds * 1000, remainingMs()));

  const server = await startRedisServer();
  let admin: Redis | null = null;
  const contenders: Contender[] = [];
  try {
    admin = new Redis(server.url);
    admin.on('error', () => undefined);
    const info = await admin.info('server');
    const redisVersion = /redis_version:(\S+)/.exec(info)?.[1] ?? null;
    const machine = machineInfo(redisVersion);
    const factory = envelopeFactory(200);
    log(
      `redis-server ${redisVersion ?? '?'} pid ${server.pid} on 127.0.0.1:${server.port}; ` +
        `${machine.cpus} x ${machine.cpu_model}; node ${machine.node}; envelopes ${factory.bytes} bytes`,
    );

    const reports = new Map<ContenderName, ContenderReport>();
    for (const name of [...cfg.only, ...cfg.variants]) {
      const messages = name === 'bullmq' ? cfg.bullmqMessages : cfg.messages;
      const report: ContenderReport = { available: false, label: name, messages, runs: [], rounds: [], perSecond: null, errors: [] };
      reports.set(name, report);
      try {
        const ours = (variant: OursVariant) =>
          oursContender(factory, { url: server.url, namespace: 'bench', concurrency: cfg.concurrency, prefetch: cfg.prefetch, variant });
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
              : await ours(OURS_VARIANT[name]);
        contenders.push(c);
        report.available = true;
        report.label = c.label;
      } catch (e) {
        report.error = errText(e);
        log(`${name}: not available: ${report.error}`);
      }
    }
    const flush = async () => {
      await admin?.flushall();
    };
    /** Runs one phase of one contender; an error is recorded for it and the bench goes on. */
    const phase = async <T>(c: Contender, what: string, fn: () => Promise<T>): Promise<T | undefined> => {
      if (remainingMs() <= 1000) {
        const msg = `${what}: skipped, --budget ${cfg.budget} s used up`;
        reports.get(c.name)?.errors.push(msg);
        log(`${c.name} ${msg}`);
        return undefined;
      }
      try {
        return await fn();
      } catch (e) {
        const msg = `${what}: ${errText(e)}`;
        reports.get(c.name)?.errors.push(msg);
        log(`${c.name} ${msg}`);
        return undefined;
      } finally {
        await flush();
      }
    };

    // 1. Warm-up (BullMQ: also picks its best worker concurrency).
    for (const c of contenders) {
      const r = reports.get(c.name) as ContenderReport;
      const messages = c.name === 'bullmq' ? Math.min(cfg.warmup, 5000) : cfg.warmup;
      if (messages === 0) continue;
      const t = performance.now();
      const note = await phase(c, 'warm-up', () =>
        c.warmup({ tag: `${c.name}-warmup`, messages, batch: cfg.batch, timeoutMs: phaseMs() }),
      );
      if (typeof note === 'string') r.warmup = note;
      log(`${c.name} warm-up ${fmt((performance.now() - t) / 1000, 1)} s${note ? `: ${note}` : ''}`);
    }

    // 2. Unloaded publish latency: one publisher, sequential awaits, nothing else running.
    for (const c of contenders) {
      const r = reports.get(c.name) as ContenderReport;
      const durations = await phase(c, 'publish latency', async () => {
        await c.sequentialPublish(`${c.name}-pubwarm`, Math.min(200, cfg.publishCount));
        return c.sequentialPublish(`${c.name}-pub`, cfg.publishCount);
      });
      if (durations) {
        r.publish = summarize(durations);
        log(`${c.name} publish x${cfg.publishCount}: p50 ${fmt(r.publish.p50, 3)} ms, p95 ${fmt(r.publish.p95, 3)} ms`);
      }
    }

    // 3. Throughput runs, the contenders' order rotated each run so drift on a noisy machine spreads evenly.
    for (let run = 0; run < cfg.runs; run++) {
      const order = contenders.map((_, i) => contenders[(i + run) % contenders.length] as Contender);
      for (const c of order) {
        const r = reports.get(c.name) as ContenderReport;
        const res = await phase(c, `run ${run + 1}`, () =>
          c.throughput({ tag: `${c.name}-run${run + 1}`, messages: r.messages, batch: cfg.batch, timeoutMs: phaseMs() }),
        );
        if (!res) continue;
        r.runs.push(res);
        r.rounds.push(run);
        log(
          `${c.name} run ${run + 1}/${cfg.runs}: ${fmt(res.acked)}/${fmt(res.published)} in ${fmt(res.seconds, 3)} s = ` +
            `${fmt(res.perSecond)} msg/s${res.complete ? '' : ' (INCOMPLETE: time limit)'}; ` +
            `latency p50 ${fmt(res.latency.p50, 1)} / p99 ${fmt(res.latency.p99, 1)} ms`,
        );
      }
    }

    // 4. Paced latency: a steady rate well below every contender's capacity.
    const pacedMessages = Math.max(1, Math.round(cfg.rate * cfg.pacedSeconds));
    for (const c of contenders) {
      const r = reports.get(c.name) as ContenderReport;
      const res = await phase(c, 'paced latency', () =>
        c.paced({ tag: `${c.name}-paced`, rate: cfg.rate, messages: pacedMessages, timeoutMs: phaseMs() }),
      );
      if (!res) continue;
      r.paced = res;
      log(
        `${c.name} paced ${fmt(cfg.rate)} msg/s: ${fmt(res.received)}/${fmt(res.published)} received, ` +
          `p50 ${fmt(res.latency.p50, 3)} ms, p99 ${fmt(res.latency.p99, 3)} ms`,
      );
    }

    // Summaries.
    for (const c of contenders) {
      const r = reports.get(c.name) as ContenderReport;
      r.settings = c.settings();
      const complete = r.runs.filter((x) => x.complete);
      const counted = complete.length ? complete : r.runs;
      r.perSecond = counted.length ? median(counted.map((x) => x.perSecond)) : null;
      if (counted.length) {
        r.saturated = {
          p50: median(counted.map((x) => x.latency.p50)),
          p99: median(counted.map((x) => x.latency.p99)),
        };
      }
    }

    const result = buildResult(cfg, reports, machine, factory.bytes, (performance.now() - started) / 1000);
    console.log('');
    console.log(renderTable(reports, cfg));
    console.log('');
    console.log(
      renderOverheads(OVERHEAD_TARGET, result.ours_per_s, [
        { key: 'metrics_overhead', name: 'ours+metrics', overhead: result.metrics_overhead, perS: result.ours_metrics_per_s },
        { key: 'reliability_overhead', name: 'ours+reliability', overhead: result.reliability_overhead, perS: result.ours_reliability_per_s },
      ]),
    );
    console.log('');
    console.log(renderTargets(result.targets));
    writeJson(cfg.out, result);
    console.log(`\nwrote ${path.relative(workspaceRoot(), cfg.out).startsWith('..') ? cfg.out : path.relative(workspaceRoot(), cfg.out)}`);
  } finally {
    for (const c of contenders) await c.close().catch(() => undefined);
    await admin?.quit().catch(() => undefined);
    await server.stop();
    await runCleanups();
  }
}

function buildResult(
  cfg: Config,
  reports: Map<ContenderName, ContenderReport>,
  machine: ReturnType<typeof machineInfo>,
  envelopeBytes: number,
  durationS: number,
) {
  const perS = (n: ContenderName) => reports.get(n)?.perSecond ?? null;
  const ours = perS('ours');
  const raw = perS('raw');
  const bull = perS('bullmq');
  const ratio = (a: number | null, b: number | null) => (a !== null && b !== null && b > 0 ? a / b : null);
  const oursR = reports.get('ours');
  const p50 = oursR?.paced?.latency.p50 ?? null;
  const p99 = oursR?.paced?.latency.p99 ?? null;
  const publishP95 = oursR?.publish?.p95 ?? null;
  const overhead = (n: ContenderName) => {
    const a = reports.get('ours');
    const b = reports.get(n);
    return a && b ? pairedOverhead(a, b) : null;
  };
  const metricsOverhead = overhead('ours+metrics');
  const reliabilityOverhead = overhead('ours+reliability');
  const target = (value: number | null, text: string, ok: (v: number) => boolean): Target => ({
    target: text,
    value: value === null ? null : round(value, 3),
    pass: value === null || !Number.isFinite(value) ? null : ok(value),
  });
  const targets = {
    ratio_vs_raw: target(ratio(ours, raw), '>= 0.8', (v) => v >= 0.8),
    ratio_vs_bullmq: target(ratio(ours, bull), '>= 5', (v) => v >= 5),
    publish_p95_ms: target(publishP95, '< 1', (v) => v < 1),
    metrics_overhead: target(metricsOverhead, `<= ${OVERHEAD_TARGET}`, (v) => v <= OVERHEAD_TARGET),
    reliability_overhead: target(reliabilityOverhead, `<= ${OVERHEAD_TARGET}`, (v) => v <= OVERHEAD_TARGET),
  };
  const contenders: Record<string, unknown> = {};
  for (const [name, r] of reports) {
    contenders[name] = {
      available: r.available,
      label: r.label,
      ...(r.error ? { error: r.error } : {}),
      settings: r.settings ?? null,
      warmup: r.warmup ?? null,
      messages: r.messages,
      per_s: round(r.perSecond ?? Number.NaN, 0),
      runs: r.runs.map((x) => ({
        per_s: round(x.perSecond, 0),
        seconds: round(x.seconds, 4),
        publish_seconds: round(x.publishSeconds, 4),
        published: x.published,
        acked: x.acked,
        complete: x.complete,
        latency_ms: roundSummary(x.latency),
      })),
      saturated_latency_ms: r.saturated ? { p50: round(r.saturated.p50), p99: round(r.saturated.p99) } : null,
      paced_latency_ms: r.paced
        ? { rate_per_s: cfg.rate, published: r.paced.published, received: r.paced.received, ...roundSummary(r.paced.latency) }
        : null,
      publish_ms: r.publish ? roundSummary(r.publish, 4) : null,
      errors: r.errors,
    };
  }
  return {
    bench: 'streams',
    date: new Date().toISOString(),
    ours_per_s: round(ours ?? Number.NaN, 0),
    raw_per_s: round(raw ?? Number.NaN, 0),
    bullmq_per_s: round(bull ?? Number.NaN, 0),
    ratio_vs_raw: round(ratio(ours, raw) ?? Number.NaN, 3),
    ratio_vs_bullmq: round(ratio(ours, bull) ?? Number.NaN, 3),
    p50_ms: round(p50 ?? Number.NaN),
    p99_ms: round(p99 ?? Number.NaN),
    saturated_p50_ms: round(oursR?.saturated?.p50 ?? Number.NaN),
    saturated_p99_ms: round(oursR?.saturated?.p99 ?? Number.NaN),
    publish_p95_ms: round(publishP95 ?? Number.NaN, 4),
    ours_metrics_per_s: round(perS('ours+metrics') ?? Number.NaN, 0),
    ours_reliability_per_s: round(perS('ours+reliability') ?? Number.NaN, 0),
    metrics_overhead: round(metricsOverhead ?? Number.NaN, 3),
    reliability_overhead: round(reliabilityOverhead ?? Number.NaN, 3),
    messages: Object.fromEntries([...reports].map(([n, r]) => [n, r.messages])),
    envelope_bytes: envelopeBytes,
    targets,
    machine,
    method: {
      process: 'one process: producer and consumer of each contender share one Node event loop; redis-server is a separate process on 127.0.0.1',
      throughput: 'messages acked / seconds from the first publish to the last ack; median of the complete runs',
      runs: cfg.runs,
      batch: cfg.batch,
      warmup_messages: cfg.warmup,
      p50_p99: `ours, end to end (publish time stamped in the envelope payload at ts, sub-ms) to handler, single publishes paced at ${cfg.rate}/s for ${cfg.pacedSeconds} s with the consumer running; saturated_* = the same during the throughput runs (includes the backlog wait)`,
      publish_p95: `ours, ${cfg.publishCount} sequential awaited transport.publish() calls, no consumer running, after ${Math.min(200, cfg.publishCount)} untimed ones`,
      overhead:
        'metrics_overhead = 1 - ours+metrics msg/s / ours msg/s (transport with @agentbus/metrics transportHooks()); ' +
        'reliability_overhead = the same for ours+reliability (consume through createReliability, no failures); ' +
        'each run of a variant paired with the run of ours in the same round (contenders rotated each round), ' +
        'overhead = 1 - the median of the paired ratios; ours_metrics_per_s / ours_reliability_per_s are the plain medians',
      seconds_limit_per_phase: cfg.seconds,
      budget_s: cfg.budget,
    },
    duration_s: round(durationS, 1),
    contenders,
  };
}

function renderTable(reports: Map<ContenderName, ContenderReport>, cfg: Config): string {
  const rows: Cell[][] = [];
  for (const [name, r] of reports) {
    if (!r.available) {
      rows.push([name, `not available: ${r.error ?? '?'}`.slice(0, 60)]);
      continue;
    }
    rows.push([
      name,
      fmt(r.messages),
      `${r.runs.filter((x) => x.complete).length}/${r.runs.length}`,
      fmt(r.perSecond),
      r.runs.map((x) => fmt(x.perSecond)).join(' '),
      fmt(r.saturated?.p50, 1),
      fmt(r.saturated?.p99, 1),
      fmt(r.paced?.latency.p50, 2),
      fmt(r.paced?.latency.p99, 2),
      fmt(r.publish?.p50, 3),
      fmt(r.publish?.p95, 3),
    ]);
  }
  return table(
    [
      'contender',
      'msgs/run',
      'runs ok',
      'msg/s (median)',
      'msg/s per run',
      'sat p50 ms',
      'sat p99 ms',
      `p50 ms @${fmt(cfg.rate)}/s`,
      `p99 ms @${fmt(cfg.rate)}/s`,
      'publish p50 ms',
      'publish p95 ms',
    ],
    rows,
  );
}

function renderTargets(targets: Record<string, Target>): string {
  const rows: Cell[][] = Object.entries(targets).map(([k, t]) => [
    k,
    t.value === null ? '-' : String(t.value),
    t.target,
    t.pass === null ? 'n/a' : t.pass ? 'pass' : 'MISS',
  ]);
  return `targets (reported only; a miss never fails the run)\n${table(['target', 'value', 'goal', 'result'], rows)}`;
}
