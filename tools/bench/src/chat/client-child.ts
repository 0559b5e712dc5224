import { WebSocket } from 'ws';
import { inBatches } from './child';
import { PROTOCOLS } from './protocol';
import { expectedReceipts, messageText, nodeOf, ownerOf, parseMessageText, wallMs, type BenchUser, type ContenderName } from './workload';

/** `chat --client-child`: this CLI as one of the client processes. */
export const CLIENT_CHILD_FLAG = '--client-child';

export type ToChild =
  | { type: 'init'; users: BenchUser[]; channels: number; nodes: number; procs: number; proc: number; pad: string }
  | { type: 'connect'; contender: ContenderName; ports: number[] }
  | { type: 'phase'; id: number; contender: ContenderName; rate: number; count: number; offset: number; startAt: number; drainMs: number }
  | { type: 'close' };

export interface PhaseDone {
  type: 'phase-done';
  id: number;
  sent: number;
  expected: number;
  delivered: number;
  /** Send -> receipt of every delivery this process counted, ms. */
  samples: Float64Array;
  lastReceiptAt: number;
  /** CPU this process used from the phase start to its end, µs. */
  cpuUs: number;
}

export type FromChild = { type: 'ready' } | { type: 'inited' } | { type: 'connected'; contender: ContenderName } | PhaseDone | { type: 'error'; message: string };

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Receiving {
  id: number;
  delivered: number;
  samples: Float64Array;
  lastAt: number;
}

/**
 * A client process: drives its share of the users (those with `ownerOf` = its number) on the
 * node each one belongs to, for every contender it is told to connect. It sends its share of the
 * global round-robin on the shared schedule and counts what its own users receive.
 */
export async function runClientChild(): Promise<void> {
  const send = (m: FromChild) => process.send?.(m);
  let init: Extract<ToChild, { type: 'init' }> | undefined;
  const sockets = new Map<ContenderName, WebSocket[]>();
  let receiving: Receiving = { id: -1, delivered: 0, samples: new Float64Array(0), lastAt: 0 };
  const onText = (text: string) => {
    const m = parseMessageText(text);
    if (!m || m.phase !== receiving.id) return;
    const now = wallMs();
    if (receiving.delivered < receiving.samples.length) receiving.samples[receiving.delivered] = now - m.t;
    receiving.delivered++;
    receiving.lastAt = now;
  };

  const connect = async (contender: ContenderName, ports: number[]) => {
    const cfg = init as NonNullable<typeof init>;
    const protocol = PROTOCOLS[contender];
    const mine = cfg.users.filter((u) => ownerOf(u, cfg.procs) === cfg.proc);
    const list: WebSocket[] = [];
    sockets.set(contender, list);
    await inBatches(mine, 50, async (u) => {
      const ws = new WebSocket(protocol.url(ports[nodeOf(u, cfg.channels, cfg.nodes)] as number), { perMessageDeflate: false });
      list[u.index] = ws;
      await new Promise<void>((resolve, reject) => {
        // Also after the connect: an error event without a listener would end the process.
        ws.on('error', reject);
        ws.once('open', () => {
          const hello = protocol.onOpen(u);
          if (hello !== null) ws.send(hello);
        });
        ws.on('message', (data) => {
          const e = protocol.parse(data.toString(), u);
          if (e.kind === 'text') onText(e.text);
          else if (e.kind === 'reply') ws.send(e.frame);
          else if (e.kind === 'ready') resolve();
          else if (e.kind === 'refused') reject(new Error(`${contender} refused ${u.id}: ${e.detail}`));
        });
      });
    });
  };

  const phase = async (p: Extract<ToChild, { type: 'phase' }>): Promise<PhaseDone> => {
    const cfg = init as NonNullable<typeof init>;
    const protocol = PROTOCOLS[p.contender];
    const list = sockets.get(p.contender) ?? [];
    const expected = expectedReceipts(cfg.users, p.offset, p.count, cfg.procs, cfg.proc);
    receiving = { id: p.id, delivered: 0, samples: new Float64Array(expected), lastAt: p.startAt };
    while (wallMs() < p.startAt) await sleep(Math.max(0, Math.min(5, p.startAt - wallMs())));
    const cpu0 = process.cpuUsage();
    let sent = 0;
    let i = 0;
    while (i < p.count) {
      const due = Math.min(p.count, Math.floor(((wallMs() - p.startAt) * p.rate) / 1000) + 1);
      for (; i < due; i++) {
        const u = cfg.users[(p.offset + i) % cfg.users.length] as BenchUser;
        if (ownerOf(u, cfg.procs) !== cfg.proc) continue;
        list[u.index]?.send(protocol.message(u, messageText(p.id, cfg.pad)));
        sent++;
      }
      await sleep(2);
    }
    const deadline = wallMs() + p.drainMs;
    while (receiving.delivered < expected && wallMs() < deadline) await sleep(5);
    const cpu = process.cpuUsage(cpu0);
    const n = Math.min(receiving.delivered, receiving.samples.length);
    return { type: 'phase-done', id: p.id, sent, expected, delivered: receiving.delivered, samples: receiving.samples.slice(0, n), lastReceiptAt: receiving.lastAt, cpuUs: cpu.user + cpu.system };
  };

  process.on('message', (raw) => {
    const m = raw as ToChild;
    const run = async () => {
      if (m.type === 'init') {
        init = m;
        send({ type: 'inited' });
      } else if (m.type === 'connect') {
        await connect(m.contender, m.ports);
        send({ type: 'connected', contender: m.contender });
      } else if (m.type === 'phase') {
        send(await phase(m));
      } else {
        for (const list of sockets.values()) for (const ws of list) ws?.terminate();
        process.exit(0);
      }
    };
    run().catch((e: unknown) => send({ type: 'error', message: e instanceof Error ? e.message : String(e) }));
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready' });
  await new Promise<void>(() => undefined);
}
