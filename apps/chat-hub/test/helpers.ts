import { inject, vi } from 'vitest';
import { WebSocket } from 'ws';
import { uniquePrefix } from '@agentbus/test-utils';
import { createMemoryTransport, createRedisTransport, type Transport } from '@agentbus/transport';
import {
  createChatClient,
  createChatHub,
  serverFrameSchema,
  type ChatClient,
  type ChatClientOptions,
  type ChatHub,
  type ChatHubOptions,
  type ChatTokenConfig,
  type EventFrame,
  type ServerFrame,
} from '../src/index';

export const TOKENS = {
  ada: 'ada-secret-token-0000000001',
  bob: 'bob-secret-token-0000000002',
  bot: 'bot-secret-token-0000000003',
  eve: 'eve-secret-token-0000000004',
} as const;

/** ada: general + random; bob: general; bot: an agent in every channel who may announce; eve: random only. */
export const TOKEN_CONFIG: ChatTokenConfig[] = [
  { token: TOKENS.ada, id: 'ada', name: 'Ada', channels: ['general', 'random'] },
  { token: TOKENS.bob, id: 'bob', name: 'Bob', channels: ['general'] },
  { token: TOKENS.bot, id: 'bot', kind: 'agent', name: 'Bot', channels: '*', announce: true },
  { token: TOKENS.eve, id: 'eve', channels: ['random'] },
];

const cleanups: (() => Promise<void>)[] = [];

/** Runs what the helpers started, newest first; call from afterEach. */
export async function cleanup(): Promise<void> {
  while (cleanups.length) await (cleanups.pop() as () => Promise<void>)().catch(() => undefined);
}

export function redisTransport(namespace = uniquePrefix('chat')): Transport {
  const t = createRedisTransport({ url: inject('redisUrl'), namespace });
  cleanups.push(() => t.close());
  return t;
}

export function memoryTransport(): Transport {
  const t = createMemoryTransport();
  cleanups.push(() => t.close());
  return t;
}

export interface StartedHub {
  hub: ChatHub;
  /** The WebSocket URL. */
  ws: string;
  transport: Transport;
}

/** A hub on a free port; on Redis with its own namespace unless a transport is given. */
export async function startHub(options: ChatHubOptions = {}): Promise<StartedHub> {
  const transport = options.transport ?? redisTransport();
  const hub = createChatHub({ tokens: TOKEN_CONFIG, channels: [{ id: 'general', topic: 'Everything' }], log: () => undefined, ...options, transport, port: options.port ?? 0 });
  cleanups.push(() => hub.close());
  const url = await hub.listen();
  return { hub, ws: `${url.replace(/^http/, 'ws')}/ws`, transport };
}

export function client(ws: string, token: string, options: Partial<ChatClientOptions> = {}): ChatClient {
  const c = createChatClient({ url: ws, token, requestTimeoutMs: 5000, ...options });
  cleanups.push(() => c.close());
  return c;
}

type Frame = ServerFrame;

/** A bare WebSocket speaking raw frames: for what the typed client would never send. */
export interface RawSocket {
  ws: WebSocket;
  frames: Frame[];
  send(value: unknown): void;
  /** The first frame received so far or later that matches. */
  until(match: (f: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  hello(token: string, extra?: Record<string, unknown>): Promise<Frame>;
  /** Event frames received, by event type. */
  events(type?: string): EventFrame[];
  closed: Promise<{ code: number; reason: string }>;
}

export async function rawSocket(url: string, headers: Record<string, string> = {}): Promise<RawSocket> {
  const ws = new WebSocket(url, { headers });
  const frames: Frame[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (data) => {
    // Every frame the hub sends must pass the schema the typed client checks it with.
    frames.push(serverFrameSchema.parse(JSON.parse(data.toString())));
    for (const w of waiters) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      for (const w of waiters) w();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  cleanups.push(async () => {
    if (ws.readyState === WebSocket.OPEN) ws.close();
  });
  const until = (match: (f: Frame) => boolean, timeoutMs = 5000) =>
    new Promise<Frame>((resolve, reject) => {
      const check = () => {
        const hit = frames.find(match);
        if (hit) {
          clearTimeout(timer);
          waiters.delete(check);
          resolve(hit);
        } else if (ws.readyState === WebSocket.CLOSED) {
          clearTimeout(timer);
          waiters.delete(check);
          reject(new Error(`socket closed; frames: ${JSON.stringify(frames).slice(0, 2000)}`));
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no matching frame within ${timeoutMs} ms; frames: ${JSON.stringify(frames).slice(0, 2000)}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  return {
    ws,
    frames,
    send: (value) => ws.send(typeof value === 'string' || Buffer.isBuffer(value) ? value : JSON.stringify(value)),
    until,
    async hello(token, extra = {}) {
      ws.send(JSON.stringify({ type: 'hello', token, ...extra }));
      return until((f) => f.type === 'welcome' || (f.type === 'error' && f.code === 'unauthorized'));
    },
    events: (type) => frames.filter((f): f is EventFrame => f.type === 'event' && (type === undefined || f.env.type === type)),
    closed,
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * vi.waitFor options for what a test waits on: it returns as soon as the check passes, and its
 * default bound of 1 s is a window a stall of a loaded machine (2 shared cores) can close.
 */
export const SETTLE = { timeout: 10_000, interval: 20 } as const;

/** A clock the test moves by hand. */
export interface HeldClock {
  /** Moves the clock on; nothing else does. */
  advance(ms: number): void;
}

/**
 * Holds Date.now where it is until the test advances it, and lets it run again at cleanup(). The
 * hub reads Date.now for its flood guard (captured when a connection opens: hold the clock
 * before connecting), typing TTLs and presence, and has no clock option; held, a stalled machine
 * cannot slip time between two steps of a test. Redis keeps its own clock (PEXPIRE, rate limits).
 */
export function holdClock(): HeldClock {
  let now = Date.now();
  const spy = vi.spyOn(Date, 'now').mockImplementation(() => now);
  cleanups.push(async () => spy.mockRestore());
  return {
    advance(ms) {
      now += ms;
    },
  };
}
