import { fork, type ChildProcess } from 'node:child_process';
import { onCleanup } from '../lifecycle';
import { summarize } from '../stats';
import { CLIENT_CHILD_FLAG, type FromChild, type PhaseDone, type ToChild } from './client-child';
import { cpuMeter } from './cpu';
import { wallMs, type BenchUser, type ContenderName, type PhaseResult } from './workload';

export interface PhaseSpec {
  contender: ContenderName;
  rate: number;
  seconds: number;
  drainMs: number;
  /** The contender's server processes and its redis-server, for their CPU during the phase. */
  serverPids: number[];
  redisPid: number;
}

/** The client processes, seen from the bench process. */
export interface ClientPool {
  readonly procs: number;
  /** Connects every user to its node of `contender` (ports by node); resolves with the seconds it took. */
  connect(contender: ContenderName, ports: number[]): Promise<number>;
  phase(spec: PhaseSpec): Promise<PhaseResult>;
  close(): Promise<void>;
}

/** Waits for the first message `want` accepts; an `error` message or the child's exit rejects. */
function expect<T extends FromChild>(child: ChildProcess, want: (m: FromChild) => m is T, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (raw: unknown) => {
      const m = raw as FromChild;
      if (m.type === 'error') {
        done();
        reject(new Error(`client process: ${what}: ${m.message}`));
      } else if (want(m)) {
        done();
        resolve(m);
      }
    };
    const onExit = (code: number | null) => {
      done();
      reject(new Error(`client process exited (${code}) during ${what}`));
    };
    const done = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/**
 * Starts `procs` client processes (this CLI with `chat --client-child`), each driving the users
 * `ownerOf` gives it, so no single event loop carries all clients' sockets and parsing.
 */
export async function startClients(o: { procs: number; users: BenchUser[]; channels: number; nodes: number; pad: string }): Promise<ClientPool> {
  const cli = process.argv[1];
  if (!cli) throw new Error('cannot find the bench CLI to start the client processes');
  const children: ChildProcess[] = [];
  const unregister = onCleanup('chat client processes', () => children.forEach((c) => c.kill('SIGKILL')), () => children.forEach((c) => c.kill('SIGKILL')));
  const tell = (c: ChildProcess, m: ToChild) => c.send(m);
  for (let proc = 0; proc < o.procs; proc++) {
    // Advanced serialization: latency samples travel as a Float64Array, not as JSON numbers.
    const child = fork(cli, ['chat', CLIENT_CHILD_FLAG], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.push(child);
    await expect(child, (m): m is { type: 'ready' } => m.type === 'ready', 'start');
    tell(child, { type: 'init', users: o.users, channels: o.channels, nodes: o.nodes, procs: o.procs, proc, pad: o.pad });
    await expect(child, (m): m is { type: 'inited' } => m.type === 'inited', 'init');
  }
  let phaseId = 0;
  let offset = 0;
  return {
    procs: o.procs,
    async connect(contender, ports) {
      const t0 = performance.now();
      await Promise.all(
        children.map((c) => {
          const reply = expect(c, (m): m is { type: 'connected'; contender: ContenderName } => m.type === 'connected', `connecting to ${contender}`);
          tell(c, { type: 'connect', contender, ports });
          return reply;
        }),
      );
      return (performance.now() - t0) / 1000;
    },
    async phase(spec) {
      const id = ++phaseId;
      const count = Math.max(1, Math.round(spec.rate * spec.seconds));
      // A common start a little ahead, so every process begins the schedule at the same instant.
      const startAt = wallMs() + 100;
      const servers = cpuMeter(spec.serverPids);
      const redis = cpuMeter([spec.redisPid]);
      const replies = await Promise.all(
        children.map((c) => {
          const reply = expect(c, (m): m is PhaseDone => m.type === 'phase-done' && m.id === id, `phase ${id}`);
          tell(c, { type: 'phase', id, contender: spec.contender, rate: spec.rate, count, offset, startAt, drainMs: spec.drainMs });
          return reply;
        }),
      );
      const wall = wallMs() - startAt;
      offset += count;
      return mergePhase(spec, replies, startAt, wall, { servers: servers.stop(), redis: redis.stop() });
    },
    async close() {
      for (const c of children) {
        if (c.connected) tell(c, { type: 'close' });
      }
      await Promise.all(children.map((c) => (c.exitCode !== null ? undefined : new Promise((r) => c.once('exit', r)))));
      unregister();
    },
  };
}

/** One phase's result from every client process's share. */
export function mergePhase(
  spec: Pick<PhaseSpec, 'rate' | 'seconds'>,
  replies: readonly Omit<PhaseDone, 'type' | 'id'>[],
  startAt: number,
  wallMsSpent: number,
  cpu: { servers: number | null; redis: number | null },
): PhaseResult {
  const sum = (f: (r: Omit<PhaseDone, 'type' | 'id'>) => number) => replies.reduce((n, r) => n + f(r), 0);
  const all = new Float64Array(sum((r) => r.samples.length));
  let at = 0;
  let negative = 0;
  for (const r of replies) {
    all.set(r.samples, at);
    at += r.samples.length;
    for (const v of r.samples) if (v < 0) negative++;
  }
  const latency = summarize(all);
  const delivered = sum((r) => r.delivered);
  const expected = sum((r) => r.expected);
  const lastAt = Math.max(startAt, ...replies.map((r) => r.lastReceiptAt));
  const clientUs = sum((r) => r.cpuUs);
  const usOf = (pct: number | null) => (pct === null ? null : (pct / 100) * wallMsSpent * 1000);
  const perDelivery = (us: number | null) => (us === null || delivered === 0 ? null : us / delivered);
  return {
    rate: spec.rate,
    seconds: spec.seconds,
    sent: sum((r) => r.sent),
    expected,
    delivered,
    deliveredPerS: delivered / (Math.max(1, lastAt - startAt) / 1000),
    latency,
    negative,
    keptUp: delivered >= expected * 0.99 && latency.p99 < 1000,
    cpu: { clients: wallMsSpent > 0 ? (clientUs / 1000 / wallMsSpent) * 100 : null, servers: cpu.servers, redis: cpu.redis },
    cpuUsPerDelivery: { clients: perDelivery(clientUs), servers: perDelivery(usOf(cpu.servers)), redis: perDelivery(usOf(cpu.redis)) },
  };
}
