import { randomBytes } from 'node:crypto';
import type { Summary } from '../stats';

/** One benchmark client: a user id, its token and the one channel it belongs to. */
export interface BenchUser {
  index: number;
  id: string;
  token: string;
  channel: string;
}

export type ContenderName = 'ours' | 'socketio';

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
 * The server node a user connects to. Users of a channel are `channel + k * channels`; k picks the
 * node, so every channel has members on every node and each message crosses between nodes
 * (Redis Pub/Sub for the hub, the redis adapter for Socket.IO) as well as staying on its own.
 */
export function nodeOf(user: Pick<BenchUser, 'index'>, channels: number, nodes: number): number {
  return Math.floor(user.index / channels) % nodes;
}

/** The client process that drives a user. */
export function ownerOf(user: Pick<BenchUser, 'index'>, procs: number): number {
  return user.index % procs;
}

/**
 * Receipts a client process should count for messages `offset .. offset + count - 1` of the
 * global round-robin (message i is sent by user (offset + i) mod N): the members of each sender's
 * channel that this process drives, the sender itself included.
 */
export function expectedReceipts(users: readonly BenchUser[], offset: number, count: number, procs: number, proc: number): number {
  const mine = membersPerChannel(users.filter((u) => ownerOf(u, procs) === proc));
  let n = 0;
  for (let i = 0; i < count; i++) n += mine.get((users[(offset + i) % users.length] as BenchUser).channel) ?? 0;
  return n;
}

/** Milliseconds since the epoch, sub-ms: the one clock every process on this machine shares. */
export const wallMs = (): number => performance.timeOrigin + performance.now();

/**
 * A message's text carries the phase it belongs to and its send time (wall clock, sub-ms: the
 * receiver is another process), padded to a chat-like length: `b|<phase>|<t>|<padding>`.
 */
export function messageText(phase: number, pad: string, now = wallMs()): string {
  return `b|${phase}|${now.toFixed(3)}|${pad}`;
}

export function parseMessageText(text: string): { phase: number; t: number } | undefined {
  if (!text.startsWith('b|')) return undefined;
  const a = text.indexOf('|', 2);
  const b = text.indexOf('|', a + 1);
  if (a < 0 || b < 0) return undefined;
  return { phase: Number(text.slice(2, a)), t: Number(text.slice(a + 1, b)) };
}

/** CPU used during a phase, percent of one core (100 = one core busy the whole phase). */
export interface CpuShares {
  /** Every client process together. */
  clients: number | null;
  /** The contender's server processes together. */
  servers: number | null;
  redis: number | null;
}

export interface PhaseResult {
  /** Offered load, messages per second (each fanned out to a whole channel). */
  rate: number;
  seconds: number;
  sent: number;
  /** Deliveries expected: every member of the channel, the sender too. */
  expected: number;
  delivered: number;
  /** Deliveries per second, from the phase start to the last delivery counted. */
  deliveredPerS: number;
  latency: Summary;
  /** Receipts timed before their send time (clocks of two processes; kept in the figures). */
  negative: number;
  /** Delivered at least 99% within the drain time and p99 under 1 s. */
  keptUp: boolean;
  cpu: CpuShares;
  /**
   * CPU time per delivery, µs: what each side spends on a message reaching one member. Less
   * swayed than latency by other work on a shared machine (it counts time on a core, not waits).
   */
  cpuUsPerDelivery: CpuShares;
}
