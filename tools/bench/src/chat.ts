import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { errText, intFlag, intListFlag, listFlag, numberFlag, parseFlags, UsageError } from './args';
import { onCleanup } from './lifecycle';
import { startRedisServer } from './redis-server';
import { defaultResultPath, fmt, renderTargets, writeJson } from './report';
import type { RepeatRun } from './chat/aggregate';
import { CLIENT_CHILD_FLAG, runClientChild } from './chat/client-child';
import { startClients, type ClientPool } from './chat/clients';
import { buildResult, renderSteps, type ChatConfig, type TopologyRun } from './chat/result';
import { deploy, type Deployment } from './chat/servers';
import { serveSocketIo } from './chat/socketio-server';
import { makeUsers, type BenchUser, type ContenderName, type PhaseResult } from './chat/workload';

export type { ContenderName };

export const description = 'chat hub fan-out: @agentbus/chat-hub vs Socket.IO + redis adapter (N WebSocket clients, p50/p99, delivered/s)';

const CONTENDERS: readonly ContenderName[] = ['ours', 'socketio'];

export const usage = `usage: npm run bench -- chat [options]

N WebSocket clients on 127.0.0.1, spread over channels; messages are sent round-robin by the
clients at a paced rate and fanned out to every member of the sender's channel. Each contender
runs its own redis-server (started here, loopback only, no persistence) and one server process
per node: the chat hub (apps/chat-hub/dist/main.js) and Socket.IO 4 with @socket.io/redis-adapter.
With 2 nodes each channel has members on both, so messages cross nodes through Redis.
The clients run in --client-procs processes of their own, plain \`ws\` sockets for both contenders
(Socket.IO's protocol framed by hand), and their CPU is reported with the servers' and Redis'.
Both contenders stay connected; each repeat runs the paced phase and every level for one, then
the other, the order alternating from repeat to repeat. Every step reports both contenders'
medians and spreads over the repeats and the ratio socketio p99 / ours p99 (above 1: ours ahead).
Latency is send -> receipt at each member (wall clock, sub-ms, one machine).
Writes bench/results/chat.json. Missed targets are reported, never an error exit.

options:
  --clients N          WebSocket clients per contender (default 1000)
  --channels N         channels the clients are spread over (default 20)
  --rate N             paced phase: messages per second (default 100)
  --paced-seconds S    paced phase length (default 2)
  --levels LIST        load phases, messages per second (default 250,500,1000)
  --seconds S          length of each load phase (default 2)
  --drain-ms MS        wait for the fan-out to finish after a phase (default 2000)
  --repeats N          repeats per topology, order alternated (default 5)
  --nodes LIST         topologies: server processes per contender (default 1,2)
  --client-procs N     client processes (default 2)
  --text-bytes N       message text length (default 120)
  --only LIST          contenders: ours,socketio (default both)
  --budget S           time limit of the whole bench; later repeats are skipped (default 300)
  --out PATH           results file (default <workspace>/bench/results/chat.json)
  -h, --help           this help`;

export function parseChatArgs(argv: readonly string[]): ChatConfig | 'help' | { serve: { port: number; redisUrl: string; tokensFile: string } } {
  const s = parseFlags(argv, [
    'clients', 'channels', 'rate', 'paced-seconds', 'levels', 'seconds', 'drain-ms', 'repeats', 'nodes', 'client-procs', 'text-bytes', 'only', 'budget', 'out',
    'serve-socketio', 'redis-url', 'tokens-file',
  ]);
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
    pacedSeconds: numberFlag('paced-seconds', s('paced-seconds'), 2),
    levels: intListFlag('levels', s('levels'), [250, 500, 1000]),
    seconds: numberFlag('seconds', s('seconds'), 2),
    drainMs: intFlag('drain-ms', s('drain-ms'), 2000, 0),
    repeats: intFlag('repeats', s('repeats'), 5),
    nodes: intListFlag('nodes', s('nodes'), [1, 2]),
    clientProcs: intFlag('client-procs', s('client-procs'), 2),
    textBytes: intFlag('text-bytes', s('text-bytes'), 120, 30),
    only: listFlag('only', s('only'), CONTENDERS),
    budget: numberFlag('budget', s('budget'), 300),
    out: s('out') !== undefined ? path.resolve(s('out') as string) : defaultResultPath('chat'),
  };
}

const log = (msg: string) => console.log(`[chat] ${msg}`);

function describePhase(r: PhaseResult): string {
  const cpu = (v: number | null) => (v === null ? '-' : `${fmt(v)}%`);
  return (
    `${fmt(r.rate)} msg/s x ${r.seconds} s: ${fmt(r.delivered)}/${fmt(r.expected)} delivered, ${fmt(r.deliveredPerS)}/s, ` +
    `p50 ${fmt(r.latency.p50, 2)} ms, p99 ${fmt(r.latency.p99, 2)} ms${r.keptUp ? '' : ' (fell behind)'}; ` +
    `cpu clients ${cpu(r.cpu.clients)}, servers ${cpu(r.cpu.servers)}, redis ${cpu(r.cpu.redis)}; ` +
    `cpu µs/delivery clients ${fmt(r.cpuUsPerDelivery.clients, 1)}, servers ${fmt(r.cpuUsPerDelivery.servers, 1)}`
  );
}

/** The paced phase and every level for one contender: one half of a repeat. */
async function runSteps(cfg: ChatConfig, pool: ClientPool, d: Deployment, tag: string): Promise<{ paced?: PhaseResult; levels: PhaseResult[] }> {
  const spec = (rate: number, seconds: number) => ({ contender: d.contender, rate, seconds, drainMs: cfg.drainMs, serverPids: d.servers.map((s) => s.pid), redisPid: d.redis.pid });
  const paced = await pool.phase(spec(cfg.rate, cfg.pacedSeconds));
  log(`${tag} ${d.contender} paced ${describePhase(paced)}`);
  const levels: PhaseResult[] = [];
  for (const level of cfg.levels) {
    const r = await pool.phase(spec(level, cfg.seconds));
    levels.push(r);
    log(`${tag} ${d.contender} load ${describePhase(r)}`);
  }
  return { paced, levels };
}

/**
 * One topology: both contenders deployed and connected, then repeats in alternating order
 * until `repeats` or the budget share ends (a repeat is started only if the last one would fit).
 */
async function runTopology(cfg: ChatConfig, nodes: number, users: BenchUser[], dir: string, pad: string, deadline: number): Promise<TopologyRun> {
  const topo: TopologyRun = { nodes, runs: [], connectSeconds: {}, labels: {}, settings: {}, errors: [] };
  const deployments: Deployment[] = [];
  let pool: ClientPool | undefined;
  try {
    for (const name of cfg.only) {
      const d = await deploy(name, nodes, users, dir);
      deployments.push(d);
      topo.labels[name] = d.label;
      topo.settings[name] = d.settings;
    }
    pool = await startClients({ procs: cfg.clientProcs, users, channels: cfg.channels, nodes, pad });
    for (const d of deployments) {
      topo.connectSeconds[d.contender] = await pool.connect(d.contender, d.ports);
      log(`${nodes} node(s): ${fmt(cfg.clients)} ${d.contender} clients connected in ${fmt(topo.connectSeconds[d.contender], 2)} s over ${cfg.clientProcs} client processes`);
      // Warm-up: JIT, connections, Redis scripts.
      await pool.phase({ contender: d.contender, rate: Math.min(cfg.rate, 100), seconds: 1, drainMs: cfg.drainMs, serverPids: [], redisPid: d.redis.pid });
    }
    let lastRepeatMs = 0;
    for (let r = 0; r < cfg.repeats; r++) {
      if (performance.now() + lastRepeatMs * 1.1 > deadline) {
        topo.errors.push(`repeats ${r + 1}..${cfg.repeats} skipped: --budget ${cfg.budget} s`);
        log(`${nodes} node(s): ${topo.errors.at(-1)}`);
        break;
      }
      const t0 = performance.now();
      const order = r % 2 === 0 ? [...deployments] : [...deployments].reverse();
      const run: RepeatRun = { repeat: r, order: order.map((d) => d.contender), load: Math.round((os.loadavg()[0] ?? 0) * 100) / 100, results: {} };
      for (const d of order) run.results[d.contender] = await runSteps(cfg, pool, d, `${nodes}n r${r + 1}`);
      topo.runs.push(run);
      lastRepeatMs = performance.now() - t0;
    }
  } catch (e) {
    topo.errors.push(errText(e));
    log(`${nodes} node(s): ${errText(e)}`);
  } finally {
    await pool?.close().catch(() => undefined);
    for (const d of deployments) await d.stop().catch(() => undefined);
  }
  return topo;
}

async function redisVersionOf(d: { url: string }): Promise<string | null> {
  const admin = new Redis(d.url);
  admin.on('error', () => undefined);
  try {
    return /redis_version:(\S+)/.exec(await admin.info('server'))?.[1] ?? null;
  } finally {
    admin.disconnect();
  }
}

export async function run(argv: readonly string[]): Promise<void> {
  if (argv[0] === CLIENT_CHILD_FLAG) return runClientChild();
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
  const dir = mkdtempSync(path.join(os.tmpdir(), 'agentbus-bench-chat-'));
  onCleanup('chat bench dir', () => rmSync(dir, { recursive: true, force: true }), () => rmSync(dir, { recursive: true, force: true }));
  const users = makeUsers(cfg.clients, cfg.channels);
  const pad = 'x'.repeat(Math.max(0, cfg.textBytes - 30));
  log(`load ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}; ${os.cpus().length} cpus`);
  const probe = await startRedisServer();
  const redisVersion = await redisVersionOf(probe).finally(() => probe.stop());
  const topologies: TopologyRun[] = [];
  for (const [i, nodes] of cfg.nodes.entries()) {
    // An equal share of what is left for each topology still to run.
    const left = started + cfg.budget * 1000 - performance.now();
    topologies.push(await runTopology(cfg, nodes, users, dir, pad, performance.now() + left / (cfg.nodes.length - i)));
  }
  const result = buildResult(cfg, topologies, redisVersion, (performance.now() - started) / 1000);
  writeJson(cfg.out, result);
  console.log('');
  console.log(renderSteps(result));
  console.log('');
  console.log(renderTargets(result.targets));
  console.log(`\nSocket.IO ahead (IQR of the ratio below 1) on p99 at: ${result.socketio_ahead_at.join(', ') || 'none'}; on p50 at: ${result.socketio_ahead_p50_at.join(', ') || 'none'}; load now ${os.loadavg()[0]?.toFixed(2)}; wrote ${cfg.out}`);
}
