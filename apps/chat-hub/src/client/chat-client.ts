import { WebSocket } from 'ws';
import { decodeChatEvent, type ChatEvent, type ChatEventType, type Envelope } from '@agentbus/schema';
import { compareSeq, conversationOfEvent } from '../ids';
import type { ClientFrame } from '../protocol/client-frames';
import {
  serverFrameSchema,
  type AckFrame,
  type ChatErrorCode,
  type EventFrame,
  type HistoryFrame,
  type ServerFrame,
  type WelcomeFrame,
} from '../protocol/server-frames';

export interface ChatClientOptions {
  /** The hub's WebSocket URL, e.g. `ws://127.0.0.1:8090/ws`. */
  url: string;
  token: string;
  /** Reconnect after a drop and resume from the last seen event of each channel. Default true. */
  reconnect?: boolean;
  /** First reconnect delay; doubles per failed attempt. Default 100 ms. */
  minReconnectDelayMs?: number;
  /** Longest reconnect delay. Default 5000 ms. */
  maxReconnectDelayMs?: number;
  /** A request (post, react, ...) with no answer within this rejects with `timeout`. Default 10000 ms. */
  requestTimeoutMs?: number;
  /** Receive each channel's recent events on the first connect. Default true; reconnects always resume. */
  recent?: boolean;
  /** Resume points to start from (e.g. saved by a previous run: `client.lastSeen()`). Default none. */
  since?: Record<string, string>;
  /** Names the client in the hub's logs. Default `agentbus-chat-client`. */
  name?: string;
}

export const DEFAULT_CHAT_CLIENT_OPTIONS = {
  reconnect: true,
  minReconnectDelayMs: 100,
  maxReconnectDelayMs: 5_000,
  requestTimeoutMs: 10_000,
  recent: true,
  name: 'agentbus-chat-client',
} as const;

/** A chat event as received: the event, typed by its `type`, with where and when it happened. */
export type ChatDelivery = ChatEvent & {
  /** Position in the history of its channel, direct conversation or the announcements; absent for typing and presence. */
  seq: string | undefined;
  envelope: Envelope;
  /** Came in a history frame (recent or replayed after a reconnect), not live. */
  replayed: boolean;
};

/** Why a request failed: the hub's error code, `rate_limited`, `timeout` or `closed` (the connection dropped first). */
export type ChatRequestErrorCode = ChatErrorCode | 'rate_limited' | 'timeout' | 'closed';

export class ChatRequestError extends Error {
  override readonly name = 'ChatRequestError';
  constructor(
    readonly code: ChatRequestErrorCode,
    message: string,
    /** For `rate_limited`: when to try again. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

type Handler = (delivery: ChatDelivery) => void;
type DeliveryOf<T extends ChatEventType> = Extract<ChatDelivery, { type: T }> extends never
  ? ChatDelivery
  : Extract<ChatDelivery, { type: T }>;

export interface ChatClient {
  /** Connects and resolves with the hub's welcome (channels, members, presence). */
  connect(): Promise<WelcomeFrame>;
  /** The latest welcome (after a reconnect, the new one). */
  readonly welcome: WelcomeFrame | undefined;
  readonly connected: boolean;
  /** Calls `handler` for each event of `type` (or every event, `*`); returns a function that stops it. */
  on<T extends ChatEventType>(type: T, handler: (delivery: DeliveryOf<T>) => void): () => void;
  on(type: '*', handler: Handler): () => void;
  /** Every frame from the hub, validated (welcome, history, errors, ...). */
  onFrame(handler: (frame: ServerFrame) => void): () => void;
  /** The next event of `type`, or matching `filter`, received from now on. */
  receive<T extends ChatEventType>(type: T, filter?: (d: DeliveryOf<T>) => boolean, timeoutMs?: number): Promise<DeliveryOf<T>>;
  post(channelId: string, text: string, options?: { mentions?: string[] }): Promise<AckFrame>;
  /** A thread reply; `threadId` is the id of the channel message it answers. */
  reply(channelId: string, threadId: string, text: string, options?: { mentions?: string[]; alsoInChannel?: boolean }): Promise<AckFrame>;
  edit(channelId: string, messageId: string, text: string, options?: { threadId?: string }): Promise<AckFrame>;
  deleteMessage(channelId: string, messageId: string, options?: { threadId?: string }): Promise<AckFrame>;
  react(channelId: string, messageId: string, emoji: string, options?: { threadId?: string; remove?: boolean }): Promise<AckFrame>;
  typing(channelId: string, typing: boolean, threadId?: string): Promise<AckFrame>;
  setPresence(status: 'online' | 'away'): Promise<AckFrame>;
  /** A direct message to one user or agent: kept in the conversation `dm:a:b` (directChannelId), whose history works as a channel's. */
  direct(to: string, text: string): Promise<AckFrame>;
  /** A hub-wide announcement, kept in `system:announcements`; needs a token with `announce`. */
  announce(message: string, level?: 'info' | 'warning' | 'error'): Promise<AckFrame>;
  /** Swarm activity in a channel: `collaborate('ops', 'task.claimed', { subject: { type: 'task', id: 't1' } })`. */
  collaborate(
    channelId: string,
    kind: string,
    fields?: { subject?: { type: string; id: string }; summary?: string; data?: Record<string, unknown> },
  ): Promise<AckFrame>;
  /** Up to `limit` events before `before`, oldest first. */
  history(channelId: string, before: string, limit?: number): Promise<HistoryFrame>;
  /** Sends any client frame; resolves with the hub's ack. */
  send(frame: ClientFrame): Promise<AckFrame>;
  /** The last seq seen per channel, direct conversation (`dm:a:b`) and the announcements (`system:announcements`): where a reconnect resumes. */
  lastSeen(): Record<string, string>;
  close(): Promise<void>;
}

interface PendingRequest {
  resolve: (frame: AckFrame | HistoryFrame) => void;
  reject: (error: ChatRequestError) => void;
  timer: NodeJS.Timeout;
}

/**
 * The typed agent client: the same protocol as the web page. It validates every hub frame,
 * tracks the last seq of each channel, direct conversation and the announcements and, after a
 * dropped connection, reconnects and resumes from there, so a handler sees every kept event once,
 * in order (history events are marked `replayed`).
 */
export function createChatClient(options: ChatClientOptions): ChatClient {
  const o = { ...DEFAULT_CHAT_CLIENT_OPTIONS, ...options };
  const seen = new Map<string, string>(Object.entries(options.since ?? {}));
  /** Direct conversations' and the announcements' newest seq at a welcome, for those with nothing seen: a reconnect resumes there, not from their start. */
  const baseline = new Map<string, string>();
  const resumePoints = () => ({ ...Object.fromEntries(baseline), ...Object.fromEntries(seen) });
  const handlers = new Map<string, Set<Handler>>();
  const frameHandlers = new Set<(frame: ServerFrame) => void>();
  const pending = new Map<string, PendingRequest>();
  let ws: WebSocket | undefined;
  let welcome: WelcomeFrame | undefined;
  let refCounter = 0;
  let closedByUser = false;
  let firstConnect = true;
  let attempt = 0;
  /** When a rate-limited hello may be tried again (ms since epoch). */
  let notBefore = 0;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let connecting: Promise<WelcomeFrame> | undefined;

  function emit(frame: EventFrame, replayed: boolean, channelId?: string): void {
    const env = frame.env;
    if (frame.seq !== undefined && channelId !== undefined) {
      const last = seen.get(channelId);
      // A replay can overlap what was already seen live: deliver each event once.
      if (last !== undefined && compareSeq(frame.seq, last) <= 0) return;
      seen.set(channelId, frame.seq);
    }
    const decoded = decodeChatEvent({ type: env.type, payload: env.payload });
    if (!decoded.ok) return;
    const delivery = { ...decoded.value, seq: frame.seq, envelope: env, replayed } as ChatDelivery;
    for (const key of [delivery.type, '*']) {
      for (const h of handlers.get(key) ?? []) h(delivery);
    }
  }

  function settle(ref: string | undefined, frame: ServerFrame): void {
    if (ref === undefined) return;
    const p = pending.get(ref);
    if (!p) return;
    pending.delete(ref);
    clearTimeout(p.timer);
    if (frame.type === 'ack' || frame.type === 'history') p.resolve(frame);
    else if (frame.type === 'error') p.reject(new ChatRequestError(frame.code, frame.message));
    else if (frame.type === 'rate_limited') p.reject(new ChatRequestError('rate_limited', `rate limited (${frame.action}); retry after ${frame.retryAfterMs} ms`, frame.retryAfterMs));
  }

  function onFrame(text: string): ServerFrame | undefined {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return undefined;
    }
    const r = serverFrameSchema.safeParse(value);
    if (!r.success) return undefined;
    const frame = r.data;
    for (const h of frameHandlers) h(frame);
    switch (frame.type) {
      case 'event': {
        const channelId = frame.seq === undefined ? undefined : conversationOfEvent(frame.env.type, frame.env.payload);
        emit(frame, false, channelId);
        break;
      }
      case 'history':
        // An older page is the caller's answer, not news for the handlers.
        if (frame.reason !== 'page') for (const e of frame.events) emit(e, true, frame.channelId);
        settle(frame.ref, frame);
        break;
      case 'ack':
      case 'error':
      case 'rate_limited':
        settle(frame.ref, frame);
        break;
      default:
        break;
    }
    return frame;
  }

  function failPending(code: ChatRequestErrorCode, message: string): void {
    for (const [ref, p] of pending) {
      clearTimeout(p.timer);
      pending.delete(ref);
      p.reject(new ChatRequestError(code, message));
    }
  }

  function open(): Promise<WelcomeFrame> {
    return new Promise<WelcomeFrame>((resolve, reject) => {
      const socket = new WebSocket(o.url, { headers: { authorization: `Bearer ${o.token}` } });
      ws = socket;
      let welcomed = false;
      socket.on('open', () => {
        const since = resumePoints();
        socket.send(
          JSON.stringify({
            type: 'hello',
            client: o.name,
            // A reconnect always resumes (even from nothing seen): conversations new to it come from their start.
            ...(Object.keys(since).length || !firstConnect ? { since } : {}),
            recent: firstConnect ? o.recent : false,
          } satisfies ClientFrame),
        );
      });
      socket.on('message', (data) => {
        const frame = onFrame(data.toString());
        if (!welcomed && frame?.type === 'welcome') {
          welcomed = true;
          welcome = frame;
          for (const d of [...frame.directs, frame.announcements]) if (d.lastSeq !== null && !seen.has(d.id)) baseline.set(d.id, d.lastSeq);
          firstConnect = false;
          attempt = 0;
          resolve(frame);
        } else if (!welcomed && frame?.type === 'error') {
          // A refused hello: a bad token ends it; too many connections may clear up, so reconnects go on.
          if (frame.code === 'unauthorized') closedByUser = true;
          reject(new ChatRequestError(frame.code, frame.message));
        } else if (!welcomed && frame?.type === 'rate_limited') {
          notBefore = Date.now() + frame.retryAfterMs;
          reject(new ChatRequestError('rate_limited', `hello rate limited (${frame.action}); retry after ${frame.retryAfterMs} ms`, frame.retryAfterMs));
        }
      });
      socket.on('error', (error) => {
        if (!welcomed) reject(new ChatRequestError('closed', `cannot connect to ${o.url}: ${error.message}`));
      });
      socket.on('close', (code, reason) => {
        if (ws === socket) ws = undefined;
        failPending('closed', `connection closed (${code}${reason.length ? ` ${reason.toString()}` : ''}) before the hub answered`);
        if (!welcomed) reject(new ChatRequestError('closed', `connection closed (${code}) before welcome`));
        if (!closedByUser && o.reconnect && welcomed) scheduleReconnect();
      });
    });
  }

  function scheduleReconnect(): void {
    // A rate-limited hello said when to come back; sooner would only be refused again.
    const delay = Math.max(Math.min(o.maxReconnectDelayMs, o.minReconnectDelayMs * 2 ** attempt), notBefore - Date.now());
    attempt++;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      open().catch(() => {
        if (!closedByUser) scheduleReconnect();
      });
    }, delay);
  }

  function request<F extends AckFrame | HistoryFrame>(frame: ClientFrame): Promise<F> {
    const socket = ws;
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      return Promise.reject(new ChatRequestError('closed', 'not connected: call connect() first, or wait for the reconnect'));
    }
    const ref = `r${++refCounter}`;
    return new Promise<F>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(ref);
        reject(new ChatRequestError('timeout', `no answer to ${frame.type} within ${o.requestTimeoutMs} ms (requestTimeoutMs)`));
      }, o.requestTimeoutMs);
      pending.set(ref, { resolve: resolve as (f: AckFrame | HistoryFrame) => void, reject, timer });
      socket.send(JSON.stringify({ ...frame, ref }));
    });
  }

  const send = (frame: ClientFrame) => request<AckFrame>(frame);

  const client: ChatClient = {
    connect() {
      closedByUser = false;
      connecting ??= open().finally(() => {
        connecting = undefined;
      });
      return connecting;
    },
    get welcome() {
      return welcome;
    },
    get connected() {
      return ws?.readyState === WebSocket.OPEN && welcome !== undefined;
    },
    on(type: string, handler: Handler) {
      let set = handlers.get(type);
      if (!set) handlers.set(type, (set = new Set()));
      set.add(handler);
      return () => void set.delete(handler);
    },
    onFrame(handler) {
      frameHandlers.add(handler);
      return () => void frameHandlers.delete(handler);
    },
    receive(type, filter, timeoutMs = o.requestTimeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          off();
          reject(new ChatRequestError('timeout', `no ${type} event within ${timeoutMs} ms`));
        }, timeoutMs);
        const off = client.on(type, (d) => {
          if (filter && !filter(d)) return;
          clearTimeout(timer);
          off();
          resolve(d);
        });
      });
    },
    post: (channelId, text, opts = {}) => send({ type: 'channel.message', payload: { channelId, text, ...opts } }),
    reply: (channelId, threadId, text, opts = {}) => send({ type: 'thread.message', payload: { channelId, threadId, text, ...opts } }),
    edit: (channelId, messageId, text, opts = {}) => send({ type: 'channel.message.edit', payload: { channelId, messageId, text, ...opts } }),
    deleteMessage: (channelId, messageId, opts = {}) => send({ type: 'channel.message.delete', payload: { channelId, messageId, ...opts } }),
    react: (channelId, messageId, emoji, opts = {}) =>
      send({
        type: opts.remove ? 'channel.reaction.remove' : 'channel.reaction.add',
        payload: { channelId, messageId, emoji, ...(opts.threadId === undefined ? {} : { threadId: opts.threadId }) },
      }),
    typing: (channelId, typing, threadId) =>
      send({ type: 'channel.typing', payload: { channelId, typing, ...(threadId === undefined ? {} : { threadId }) } }),
    setPresence: (status) => send({ type: 'presence', status }),
    direct: (to, text) => send({ type: 'direct', to, text }),
    announce: (message, level) => send({ type: 'announce', message, ...(level ? { level } : {}) }),
    collaborate: (channelId, kind, fields = {}) => send({ type: 'collaboration.event', payload: { channelId, kind, ...fields } }),
    history: (channelId, before, limit) => request<HistoryFrame>({ type: 'history', channelId, before, ...(limit ? { limit } : {}) }),
    send,
    lastSeen: resumePoints,
    async close() {
      closedByUser = true;
      clearTimeout(reconnectTimer);
      const socket = ws;
      if (!socket) return;
      if (socket.readyState === WebSocket.CLOSED) return;
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.close(1000, 'client closed');
      });
    },
  };
  return client;
}
