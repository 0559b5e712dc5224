import { randomBytes } from 'node:crypto';
import { SampleBuffer, summarize, type Summary } from '../stats';

/** One benchmark client: a user id, its token and the one channel it belongs to. */
export interface BenchUser {
  index: number;
  id: string;
  token: string;
  channel: string;
}

/** N users spread round-robin over C channels (`ch0`..), each with its own random token. */
export function makeUsers(clients: number, channels: number): BenchUser[] {
  const salt = randomBytes(6).toString('hex');
  return Array.from({ length: clients }, (_, i) => ({
    index: i,
    id: `c${i}`,
    token: `bench-${salt}-${String(i).padStart(6, '0')}`,
    channel: `ch${i % channels}`,
  }));
}

/** Members per channel, as makeUsers spreads them. */
export function membersPerChannel(users: readonly BenchUser[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const u of users) m.set(u.channel, (m.get(u.channel) ?? 0) + 1);
  return m;
}

/** The tokens file both servers read: the hub's CHAT_TOKENS_FILE format. */
export function tokensFile(users: readonly BenchUser[]): string {
  return JSON.stringify(users.map((u) => ({ token: u.token, id: u.id, kind: 'agent', channels: [u.channel] })));
}

/**
 * A message's text carries the phase it belongs to and its send time (`performance.now()`, one
 * process, one clock), padded to a chat-like length: `b|<phase>|<t>|<padding>`.
 */
export function messageText(phase: number, pad: string): string {
  return `b|${phase}|${performance.now().toFixed(3)}|${pad}`;
}

export function parseMessageText(text: string): { phase: number; t: number } | undefined {
  if (!text.startsWith('b|')) return undefined;
  const a = text.indexOf('|', 2);
  const b = text.indexOf('|', a + 1);
  if (a < 0 || b < 0) return undefined;
  return { phase: Number(text.slice(2, a)), t: Number(text.slice(a + 1, b)) };
}

/** What every contender offers the workload: connect the users, send as one of them, close. */
export interface ChatContender {
  readonly name: 'ours' | 'socketio';
  readonly label: string;
  /** Connects every user; `onText` gets the text of each chat message any of them receives. */
  connect(users: readonly BenchUser[], onText: (text: string) => void): Promise<void>;
  /** Sends a channel message as user `index` to its channel. */
  send(user: BenchUser, text: string): void;
  settings(): Record<string, unknown>;
  close(): Promise<void>;
}

export interface PhaseResult {
  /** Offered load, messages per second (each fanned out to a whole channel). */
  rate: number;
  seconds: number;
  sent: number;
  /** Deliveries expected: every member of the channel, the sender too. */
  expected: number;
  delivered: number;
  /** Deliveries per second, from the first send to the last delivery counted. */
  deliveredPerS: number;
  latency: Summary;
  /** Delivered at least 99% within the drain time and p99 under 1 s. */
  keptUp: boolean;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Drives one phase: messages paced at `rate` per second over `seconds`, round-robin over the
 * users, then waits up to `drainMs` for the fan-out to finish. Latency is send to receipt at
 * each member, in this process.
 */
export function createPhaseRunner(contender: ChatContender, users: readonly BenchUser[], pad: string) {
  const members = membersPerChannel(users);
  let phase = 0;
  let samples = new SampleBuffer(0);
  let delivered = 0;
  let lastAt = 0;
  const onText = (text: string) => {
    const m = parseMessageText(text);
    if (!m || m.phase !== phase) return;
    const now = performance.now();
    delivered++;
    lastAt = now;
    samples.push(now - m.t);
  };
  let next = 0;
  return {
    onText,
    async run(rate: number, seconds: number, drainMs: number): Promise<PhaseResult> {
      phase++;
      const total = Math.max(1, Math.round(rate * seconds));
      let expected = 0;
      for (let i = 0; i < total; i++) expected += members.get((users[(next + i) % users.length] as BenchUser).channel) ?? 0;
      samples = new SampleBuffer(expected);
      delivered = 0;
      const start = performance.now();
      lastAt = start;
      let sent = 0;
      while (sent < total) {
        const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate) + 1);
        while (sent < due) {
          contender.send(users[next] as BenchUser, messageText(phase, pad));
          next = (next + 1) % users.length;
          sent++;
        }
        await sleep(2);
      }
      const deadline = performance.now() + drainMs;
      while (delivered < expected && performance.now() < deadline) await sleep(5);
      const latency = summarize(samples.values());
      const span = Math.max(1, lastAt - start) / 1000;
      return {
        rate,
        seconds,
        sent,
        expected,
        delivered,
        deliveredPerS: delivered / span,
        latency,
        keptUp: delivered >= expected * 0.99 && latency.p99 < 1000,
      };
    },
  };
}
