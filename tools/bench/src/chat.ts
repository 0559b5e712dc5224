import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { errText, intFlag, intListFlag, listFlag, numberFlag, parseFlags, UsageError } from './args';
import { freePort, startRedisServer, type RedisServer } from './redis-server';
import { onCleanup } from './lifecycle';
import { defaultResultPath, fmt, machineInfo, table, writeJson, type Cell, type Target } from './report';
import { round, roundSummary } from './stats';
import { oursContender } from './chat/ours';
import { socketIoContender } from './chat/socketio';
import { serveSocketIo } from './chat/socketio-server';
import { createPhaseRunner, makeUsers, type ChatContender, type PhaseResult } from './chat/workload';

export const description = 'chat hub fan-out: @agentbus/chat-hub vs Socket.IO + redis adapter (N WebSocket clients, p50/p99, delivered/s)';

type Name = 'ours' | 'socketio';
const CONTENDERS: readonly Name[] = ['ours', 'socketio'];

export const usage = `usage: npm run bench -- chat [options]

N WebSocket clients on 127.0.0.1, spread over channels; messages are sent round-robin by the
clients at a paced rate and fanned out to every member of the sender's channel. Each contender
runs its server as its own process with its own redis-server (started here, loopback only, no
persistence): the chat hub (apps/chat-hub/dist/main.js) and Socket.IO 4 with
@socket.io/redis-adapter. Latency is send -> receipt at each member, in this process.
Writes bench/results/chat.json. Missed targets are reported, never an error exit.

options:
  --clients N          WebSocket clients per contender (default 1000)
  --channels N         channels the clients are spread over (default 20)
  --rate N             paced phase: messages per second, p50/p99 from here (default 100)
  --paced-seconds S    paced phase length (default 5)
  --levels LIST        load phases, messages per second (default 250,500,1000)
  --seconds S          length of each load phase (default 3)
  --drain-ms MS        wait for the fan-out to finish after a phase (default 2000)
  --text-bytes N       message text length (default 120)
  --only LIST          contenders: ours,socketio (default both)
  --budget S           time limit of the whole bench; later phases are skipped (default 85)
  --out PATH           results file (default <workspace>/bench/results/chat.json)
  -h, --help           this help`;

interface Config {
  clients: number;
  channels: number;
  rate: number;
  pacedSeconds: number;
  levels: number[];
  seconds: number;
  drainMs: number;
  textBytes: number;
  only: Name[];
  budget: number;
  out: string;
}

export function parseChatArgs(argv: readonly string[]): Config | 'help' | { serve: { port: number; redisUrl: string; tokensFile: string } } {
  const s = parseFlags(argv, ['clients', 'channels', 'rate', 'paced-seconds', 'levels', 'seconds', 'drain-ms', 'text-bytes', 'only', 'budget', 'out', 'serve-socketio', 'redis-url', 'tokens-file']);
  if (s === 'help') return 'help';
  if (s('serve-socketio') !== undefined) {
    const redisUrl = s('redis-url');
    const tokens = s('tokens-file');
    if (!redisUrl || !tokens) throw new UsageError('--serve-socketio needs --redis-url and --tokens-file');
    return { serve: { port: intFlag('serve-socketio', s('serve-socketio'), 1), redisUrl, tokensFile: tokens } };
  }
  const clients = intFlag('clients', s('clients'), 1000);
  const channels = intFlag('channels', s('channels'), 20);
  if (channels > clients) throw new UsageError(`--channels (${channels}) must not exceed --clients (${clients})`);
  return {
    clients,
    channels,
    rate: intFlag('rate', s('rate'), 100),
    pacedSeconds: numberFlag('paced-seconds', s('paced-seconds'), 5),
    levels: intListFlag('levels', s('levels'), [250, 500, 1000]),
    seconds: numberFlag('seconds', s('seconds'), 3),
    drainMs: intFlag('drain-ms', s('drain-ms'), 2000, 0),
    textBytes: intFlag('text-bytes', s('text-bytes'), 120, 30),
    only: listFlag('only', s('only'), CONTENDERS),
    budget: numberFlag('budget', s('budget'), 85),
    out: s('out') !== undefined ? path.resolve(s('out') as string) : defaultResultPath('chat'),
  };
}

interface Report {
  available: boolean;
  label: string;
  error?: string;
  settings?: Record<string, unknown>;
  connectSeconds?: number;
  paced?: PhaseResult;
  levels: PhaseResult[];
  errors: string[];
}

const log = (msg: string) => console.log(`[chat] ${msg}`);

export async function run(argv: readonly string[]): Promise<void> {
  const parsed = parseChatArgs(argv);
  if (parsed === 'help') {
    console.log(usage);
    return;
  }
  if ('serve' in parsed) {
    await serveSocketIo(parsed.serve.port, parsed.serve.redisUrl, parsed.serve.tokensFile);
    return;
  }
  const cfg = parsed;
  const started = performance.now();
  const budgetEnd = started + cfg.budget * 1000;
  const remainingS = () => (budgetEnd - performance.now()) / 1000;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'agentbus-bench-chat-'));
  onCleanup('chat bench dir', () => rmSync(dir, { recursive: true, force: true }), () => rmSync(dir, { recursive: true, force: true }));
  const users = makeUsers(cfg.clients, cfg.channels);
  const pad = 'x'.repeat(Math.max(0, cfg.textBytes - 30));
  const reports = new Map<Name, Report>();
  let redisVersion: string | null = null;

  for (const name of cfg.only) {
    const report: Report = { available: false, label: name, levels: [], errors: [] };
    reports.set(name, report);
    if (remainingS() < 15) {
      report.error = `skipped: --budget ${cfg.budget} s used up`;
      log(`${name}: ${report.error}`);
      continue;
    }
    let redis: RedisServer | undefined;
    let contender: ChatContender | undefined;
    try {
      redis = await startRedisServer();
      if (redisVersion === null) {
        const admin = new Redis(redis.url);
        admin.on('error', () => undefined);
        redisVersion = /redis_version:(\S+)/.exec(await admin.info('server'))?.[1] ?? null;
        admin.disconnect();
      }
      const port = await freePort();
      contender = name === 'ours' ? await oursContender({ redisUrl: redis.url, port, dir }) : await socketIoContender({ redisUrl: redis.url, port, dir });
      report.label = contender.label;
      const runner = createPhaseRunner(contender, users, pad);
      const t0 = performance.now();
      await contender.connect(users, runner.onText);
      report.connectSeconds = (performance.now() - t0) / 1000;
      report.available = true;
      report.settings = contender.settings();
      log(`${name}: ${fmt(cfg.clients)} clients connected in ${fmt(report.connectSeconds, 2)} s (${cfg.channels} channels)`);

      await runner.run(Math.min(cfg.rate, 100), 1, cfg.drainMs); // warm-up: JIT, connections, Redis scripts
      report.paced = await runner.run(cfg.rate, cfg.pacedSeconds, cfg.drainMs);
      log(`${name} paced ${describePhase(report.paced)}`);
      for (const level of cfg.levels) {
        if (remainingS() < cfg.seconds + cfg.drainMs / 1000 + (name === cfg.only[cfg.only.length - 1] ? 2 : 20)) {
          report.errors.push(`level ${level}/s skipped: --budget ${cfg.budget} s`);
          log(`${name} level ${level}/s skipped (budget)`);
          continue;
        }
        const r = await runner.run(level, cfg.seconds, cfg.drainMs);
        report.levels.push(r);
        log(`${name} load ${describePhase(r)}`);
      }
    } catch (e) {
      if (!report.available) report.error = errText(e);
      else report.errors.push(errText(e));
      log(`${name}: ${errText(e)}`);
    } finally {
      await contender?.close().catch(() => undefined);
      await redis?.stop();
    }
  }

  const result = buildResult(cfg, reports, redisVersion, (performance.now() - started) / 1000);
  writeJson(cfg.out, result);
  console.log('');
  console.log(renderTable(reports));
  console.log('');
  const t = result.targets;
  for (const [k, v] of Object.entries(t)) console.log(`  ${v.pass === null ? 'n/a ' : v.pass ? 'PASS' : 'MISS'}  ${k} ${v.target}: ${v.value ?? '-'}`);
  console.log(`\nratio_vs_socketio ${result.ratio_vs_socketio ?? '-'} (${result.ratio_basis}); wrote ${cfg.out}`);
}

function describePhase(r: PhaseResult): string {
  return (
    `${fmt(r.rate)} msg/s x ${r.seconds} s: ${fmt(r.delivered)}/${fmt(r.expected)} delivered, ${fmt(r.deliveredPerS)}/s, ` +
    `p50 ${fmt(r.latency.p50, 2)} ms, p99 ${fmt(r.latency.p99, 2)} ms${r.keptUp ? '' : ' (fell behind)'}`
  );
}

function phaseJson(r: PhaseResult) {
  return {
    rate_per_s: r.rate,
    seconds: r.seconds,
    sent: r.sent,
    expected: r.expected,
    delivered: r.delivered,
    delivered_per_s: round(r.deliveredPerS, 0),
    kept_up: r.keptUp,
    latency_ms: roundSummary(r.latency),
  };
}

export function buildResult(cfg: Config, reports: Map<Name, Report>, redisVersion: string | null, durationS: number) {
  const ours = reports.get('ours');
  const sio = reports.get('socketio');
  // The highest load both ran: where "keeps up" and delivered/s are compared.
  const shared = (ours?.levels ?? []).filter((l) => sio?.levels.some((s) => s.rate === l.rate)).map((l) => l.rate);
  const top = shared.length ? Math.max(...shared) : undefined;
  const oursTop = ours?.levels.find((l) => l.rate === top);
  const sioTop = sio?.levels.find((l) => l.rate === top);
  const best = (r: Report | undefined) => (r?.levels.length ? Math.max(...r.levels.map((l) => l.deliveredPerS)) : null);
  let ratio: number | null = null;
  let basis = 'not available: both contenders must run';
  if (oursTop && sioTop) {
    if (oursTop.keptUp && sioTop.keptUp) {
      ratio = sioTop.latency.p99 / oursTop.latency.p99;
      basis = `both kept up at ${top} msg/s: socketio_p99_ms / p99_ms there`;
    } else {
      ratio = oursTop.deliveredPerS / sioTop.deliveredPerS;
      basis = `not both kept up at ${top} msg/s: ours delivered/s / socketio delivered/s at that load`;
    }
  }
  // Without a shared level (one contender only), ours' highest level stands in.
  const oursAt = oursTop ?? ours?.levels.at(-1);
  const p99 = oursAt?.latency.p99 ?? null;
  const target = (value: number | null, text: string, ok: (v: number) => boolean): Target => ({
    target: text,
    value: value === null || !Number.isFinite(value) ? null : round(value, 3),
    pass: value === null || !Number.isFinite(value) ? null : ok(value),
  });
  const num = (v: number | undefined | null, digits = 3) => round(v ?? Number.NaN, digits);
  return {
    bench: 'chat',
    date: new Date().toISOString(),
    clients: cfg.clients,
    channels: cfg.channels,
    members_per_channel: Math.round(cfg.clients / cfg.channels),
    offered_per_s: oursAt?.rate ?? null,
    delivered_per_s: num(oursAt?.deliveredPerS ?? best(ours), 0),
    p50_ms: num(oursAt?.latency.p50),
    p99_ms: num(p99),
    socketio_delivered_per_s: num(sioTop?.deliveredPerS ?? best(sio), 0),
    socketio_p50_ms: num(sioTop?.latency.p50),
    socketio_p99_ms: num(sioTop?.latency.p99),
    ratio_vs_socketio: num(ratio),
    ratio_basis: basis,
    paced: {
      rate_per_s: cfg.rate,
      p50_ms: num(ours?.paced?.latency.p50),
      p99_ms: num(ours?.paced?.latency.p99),
      socketio_p50_ms: num(sio?.paced?.latency.p50),
      socketio_p99_ms: num(sio?.paced?.latency.p99),
    },
    targets: {
      p99_ms: target(p99, `< 50 (publish -> receive, ${cfg.clients} clients at ${oursAt?.rate ?? '-'} msg/s)`, (v) => v < 50),
      paced_p99_ms: target(ours?.paced?.latency.p99 ?? null, `< 50 (at ${cfg.rate} msg/s)`, (v) => v < 50),
      clients: target(ours?.available ? cfg.clients : null, '>= 1000', (v) => v >= 1000),
      ops_per_s: target(oursAt ? oursAt.sent / oursAt.seconds : null, '>= 1000 messages/s offered and kept up', (v) => v >= 1000 && oursAt?.keptUp === true),
      ratio_vs_socketio: target(ratio, '> 1 (ahead of Socket.IO)', (v) => v > 1),
    },
    machine: machineInfo(redisVersion),
    method: {
      process:
        'each contender: its server in its own process, its own redis-server on 127.0.0.1 (no persistence); all clients in this bench process (one event loop), so client-side cost is in every number',
      workload: `${cfg.clients} clients round-robin over ${cfg.channels} channels; each message is sent by the next client in turn to its channel and delivered to every member (the sender too); text ${cfg.textBytes} bytes`,
      p50_p99: `send -> receipt at each member (performance.now() in the message text), at the highest load level both contenders ran (levels ${cfg.levels.join(', ')} msg/s, ${cfg.seconds} s each, ${cfg.drainMs} ms drain); paced.* = the light-load phase at ${cfg.rate} msg/s for ${cfg.pacedSeconds} s after a 1 s warm-up`,
      delivered_per_s: 'deliveries / (first send -> last delivery) at that level; kept up = >= 99% delivered and p99 < 1 s',
      ratio_vs_socketio: 'if both kept up at that level: socketio_p99_ms / p99_ms; otherwise ours delivered/s / socketio delivered/s there; above 1 means ahead',
      budget_s: cfg.budget,
    },
    duration_s: round(durationS, 1),
    contenders: Object.fromEntries(
      [...reports].map(([n, r]) => [
        n,
        {
          available: r.available,
          label: r.label,
          ...(r.error ? { error: r.error } : {}),
          settings: r.settings ?? null,
          connect_seconds: r.connectSeconds === undefined ? null : round(r.connectSeconds, 3),
          paced: r.paced ? phaseJson(r.paced) : null,
          levels: r.levels.map(phaseJson),
          errors: r.errors,
        },
      ]),
    ),
  };
}

function renderTable(reports: Map<Name, Report>): string {
  const rows: Cell[][] = [];
  for (const [name, r] of reports) {
    if (!r.available) {
      rows.push([name, `not available: ${r.error ?? '?'}`.slice(0, 70)]);
      continue;
    }
    const phases = [...(r.paced ? [r.paced] : []), ...r.levels];
    for (const p of phases) {
      rows.push([
        p === r.paced ? `${name} (paced)` : name,
        fmt(p.rate),
        `${fmt(p.delivered)}/${fmt(p.expected)}`,
        fmt(p.deliveredPerS),
        fmt(p.latency.p50, 2),
        fmt(p.latency.p99, 2),
        fmt(p.latency.max, 1),
        p.keptUp ? 'yes' : 'no',
      ]);
    }
  }
  return table(['contender', 'msg/s', 'delivered', 'delivered/s', 'p50 ms', 'p99 ms', 'max ms', 'kept up'], rows);
}
