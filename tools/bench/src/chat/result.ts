import { fmt, machineInfo, table, targetOf, type Cell, type Target } from '../report';
import { round } from '../stats';
import { stepJson, stepsOf, summarizeStep, type RepeatRun, type StepSummary } from './aggregate';
import type { ContenderName } from './workload';

export interface ChatConfig {
  clients: number;
  channels: number;
  rate: number;
  pacedSeconds: number;
  levels: number[];
  seconds: number;
  drainMs: number;
  textBytes: number;
  only: ContenderName[];
  nodes: number[];
  repeats: number;
  clientProcs: number;
  budget: number;
  out: string;
}

/** Everything one topology (1 node, 2 nodes) measured. */
export interface TopologyRun {
  nodes: number;
  runs: RepeatRun[];
  connectSeconds: Partial<Record<ContenderName, number>>;
  labels: Partial<Record<ContenderName, string>>;
  settings: Partial<Record<ContenderName, Record<string, unknown>>>;
  errors: string[];
}

const stepName = (s: StepSummary) => (s.step === 'paced' ? 'paced' : String(s.rate));

function targets(cfg: ChatConfig, topologies: readonly { nodes: number; steps: StepSummary[] }[]): Record<string, Target> {
  const out: Record<string, Target> = {};
  const single = topologies.find((t) => t.nodes === 1) ?? topologies[0];
  const top = single?.steps.filter((s) => s.step === 'load').at(-1);
  const paced = single?.steps.find((s) => s.step === 'paced');
  out.p99_ms = targetOf(null, `< 50 (ours, ${cfg.clients} clients at ${top?.rate ?? '-'} msg/s, ${single?.nodes ?? '-'} node)`, (v) => v < 50, top?.ours?.p99_ms);
  out.paced_p99_ms = targetOf(null, `< 50 (ours at ${cfg.rate} msg/s)`, (v) => v < 50, paced?.ours?.p99_ms);
  out.clients = targetOf(top?.ours ? cfg.clients : null, '>= 1000', (v) => v >= 1000);
  out.ops_per_s = targetOf(
    top?.ours ? top.rate : null,
    `>= 1000 messages/s offered and kept up in every repeat (${top?.ours?.kept_up ?? 0}/${top?.ours?.repeats ?? 0})`,
    (v) => v >= 1000 && top?.ours?.kept_up === top?.ours?.repeats,
  );
  for (const t of topologies) {
    for (const s of t.steps) {
      if (!s.ratio_p99) continue;
      out[`ratio_vs_socketio@${stepName(s)}${t.nodes > 1 ? `/${t.nodes}-node` : ''}`] = targetOf(null, '> 1 (socketio p99 / ours p99, paired repeats)', (v) => v > 1, s.ratio_p99);
    }
  }
  return out;
}

export function buildResult(cfg: ChatConfig, topologies: readonly TopologyRun[], redisVersion: string | null, durationS: number) {
  const summarized = topologies.map((t) => ({ nodes: t.nodes, steps: stepsOf(t.runs).map((k) => summarizeStep(t.runs, k)) }));
  const single = summarized.find((t) => t.nodes === 1) ?? summarized[0];
  const top = single?.steps.filter((s) => s.step === 'load').at(-1);
  const paced = single?.steps.find((s) => s.step === 'paced');
  const med = (v: { median: number } | null | undefined, digits = 3) => round(v?.median ?? Number.NaN, digits);
  const byStep = (t: (typeof summarized)[number] | undefined) => Object.fromEntries((t?.steps ?? []).map((s) => [stepName(s), med(s.ratio_p99)]));
  return {
    bench: 'chat',
    date: new Date().toISOString(),
    clients: cfg.clients,
    channels: cfg.channels,
    members_per_channel: Math.round(cfg.clients / cfg.channels),
    client_procs: cfg.clientProcs,
    repeats: cfg.repeats,
    offered_per_s: top?.rate ?? null,
    delivered_per_s: med(top?.ours?.delivered_per_s, 0),
    p50_ms: med(top?.ours?.p50_ms),
    p99_ms: med(top?.ours?.p99_ms),
    socketio_delivered_per_s: med(top?.socketio?.delivered_per_s, 0),
    socketio_p50_ms: med(top?.socketio?.p50_ms),
    socketio_p99_ms: med(top?.socketio?.p99_ms),
    ratio_vs_socketio: med(top?.ratio_p99),
    ratio_basis: `socketio p99 / ours p99 at ${top?.rate ?? '-'} msg/s, ${single?.nodes ?? '-'} node, median of ${top?.ratio_p99?.n ?? 0} paired repeats: ONE level of several; see ratio_vs_socketio_by_level and topologies`,
    ratio_vs_socketio_by_level: byStep(single),
    ratio_vs_socketio_by_level_2_nodes: byStep(summarized.find((t) => t.nodes === 2)),
    socketio_ahead_p50_at: summarized.flatMap((t) => t.steps.filter((s) => s.ahead_p50 === 'socketio').map((s) => `${stepName(s)}${t.nodes > 1 ? ` (${t.nodes} nodes)` : ''}`)),
    socketio_ahead_at: summarized.flatMap((t) => t.steps.filter((s) => s.ahead === 'socketio').map((s) => `${stepName(s)}${t.nodes > 1 ? ` (${t.nodes} nodes)` : ''}`)),
    paced: {
      rate_per_s: cfg.rate,
      p50_ms: med(paced?.ours?.p50_ms),
      p99_ms: med(paced?.ours?.p99_ms),
      socketio_p50_ms: med(paced?.socketio?.p50_ms),
      socketio_p99_ms: med(paced?.socketio?.p99_ms),
    },
    targets: targets(cfg, summarized),
    topologies: Object.fromEntries(
      topologies.map((t, i) => [
        `${t.nodes}-node`,
        {
          nodes: t.nodes,
          repeats_run: t.runs.length,
          orders: t.runs.map((r) => r.order.join(',')),
          load_1m_by_repeat: t.runs.map((r) => r.load ?? null),
          connect_seconds: Object.fromEntries(Object.entries(t.connectSeconds).map(([k, v]) => [k, round(v ?? Number.NaN, 2)])),
          labels: t.labels,
          settings: t.settings,
          steps: (summarized[i]?.steps ?? []).map(stepJson),
          errors: t.errors,
        },
      ]),
    ),
    machine: machineInfo(redisVersion),
    method: method(cfg),
    duration_s: round(durationS, 1),
  };
}

function method(cfg: ChatConfig): Record<string, unknown> {
  return {
    process:
      `each contender: its own redis-server (127.0.0.1, no persistence) and one server process per node; the clients in ${cfg.clientProcs} client processes ` +
      '(not the bench process), each driving a share of the users with plain `ws` sockets for both contenders (Socket.IO / Engine.IO v4 framed by hand), one JSON.parse per frame either way',
    topologies: `nodes ${cfg.nodes.join(', ')}: with 2, users alternate between the nodes within each channel, so every message is delivered on both (the hub through Redis Pub/Sub, Socket.IO through its redis adapter)`,
    workload: `${cfg.clients} clients round-robin over ${cfg.channels} channels; each message is sent by the next client in turn to its channel and delivered to every member (the sender too); text ${cfg.textBytes} bytes`,
    repeats: `${cfg.repeats} repeats per topology, both contenders connected throughout, the order alternated (ours first in even repeats, socketio first in odd); each repeat: paced ${cfg.rate} msg/s for ${cfg.pacedSeconds} s, then levels ${cfg.levels.join(', ')} msg/s for ${cfg.seconds} s each, up to ${cfg.drainMs} ms drain`,
    latency: 'send -> receipt at each member: wall clock (performance.timeOrigin + now, sub-ms) stamped in the text by the sending process, read by the receiving one; negatives kept and counted',
    figures:
      'per step and contender: median, quartiles and range over the repeats of p50, p99, delivered/s, CPU (percent of one core: client processes together, server processes together, redis-server) ' +
      'and CPU µs per delivery (the same CPU time over the deliveries: less swayed by other work on the machine than latency)',
    ratio_vs_socketio: 'per step: socketio p99 / ours p99 of each repeat where both ran, median and spread; ahead = ours when its IQR is above 1, socketio when below, even otherwise (ahead_p50: the same on p50)',
    kept_up: '>= 99% delivered within the drain and p99 < 1 s',
    budget_s: cfg.budget,
  };
}

/** One line per step and topology: both contenders' medians, the ratio and who is ahead. */
export function renderSteps(result: ReturnType<typeof buildResult>): string {
  const rows: Cell[][] = [];
  for (const [name, t] of Object.entries(result.topologies)) {
    for (const s of t.steps) {
      const c = (x: typeof s.ours) =>
        x
          ? `${fmt(x.p50_ms?.median, 1)} / ${fmt(x.p99_ms?.median, 1)} (${fmt(x.p99_ms?.min, 1)}–${fmt(x.p99_ms?.max, 1)}) ${x.kept_up} ` +
            `cpu ${fmt(x.cpu_pct.clients?.median)}/${fmt(x.cpu_pct.servers?.median)}/${fmt(x.cpu_pct.redis?.median)}% ` +
            `${fmt(x.cpu_us_per_delivery.clients?.median, 1)}/${fmt(x.cpu_us_per_delivery.servers?.median, 1)}µs`
          : '-';
      const r = s.ratio_vs_socketio;
      rows.push([name, s.step, c(s.ours), c(s.socketio), r ? `${r.median} (IQR ${r.q1}–${r.q3})` : '-', s.ahead ?? '-', s.ahead_p50 ?? '-']);
    }
  }
  return table(
    ['topology', 'step', 'ours p50 / p99 ms (p99 range) kept up, cpu % clients/servers/redis, cpu µs per delivery clients/servers', 'socketio (same)', 'socketio p99 / ours p99', 'ahead (p99)', 'ahead (p50)'],
    rows,
  );
}
