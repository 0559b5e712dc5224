import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { AgentbusError, ERROR_CODES } from '@agentbus/schema';
import type { Metrics } from '@agentbus/metrics';
import type { TokenBucketOptions } from '@agentbus/reliability';
import type { Transport } from '@agentbus/transport';
import type { ChatChannelConfig, ChatTokenConfig } from './auth';
import type { ChatAction } from './rate-limits';
import { DEFAULT_FLOOD_OPTIONS, type FloodOptions } from './server/flood-guard';

export interface ChatHubOptions {
  /**
   * The bus the hub runs on. Default: `createTransport()` (Redis when REDIS_URL is set, else the
   * in-memory backend), closed by `close()`; a transport passed in is left open. Hubs on one
   * Redis, or on one memory transport, share channels, history and Pub/Sub.
   */
  transport?: Transport;
  /**
   * Where the hub reports its open connections (`agentbus_chat_connections`) and the participants
   * online on it by kind (`agentbus_chat_presence_online`, each heartbeat); its registry is also
   * served at GET /metrics. Default none: no metrics, no /metrics route.
   */
  metrics?: Metrics;
  /** Tokens and what each grants (user id, kind, channels, announce). Default: none, so nobody can connect. */
  tokens?: readonly ChatTokenConfig[];
  /** Channels created at start besides those named in tokens. Default none. */
  channels?: readonly ChatChannelConfig[];
  /** Address `listen()` binds. Default `127.0.0.1`. */
  host?: string;
  /** Port `listen()` uses when given none; 0 picks a free one. Default 8090. */
  port?: number;
  /** Path of the WebSocket endpoint. Default `/ws`. */
  path?: string;
  /** Names this hub in session ids and logs. Default `<hostname>-<pid>-<random>`. */
  hubId?: string;
  /** Larger frames get a `too_large` error frame; the connection stays. Default 131072 (128 KiB). */
  maxFrameBytes?: number;
  /** Larger frames close the connection (1009) before they are read whole. Default 1048576 (1 MiB). */
  maxPayloadBytes?: number;
  /** A connection that has not said `hello` within this closes (4408). Default 10000. */
  helloTimeoutMs?: number;
  /** Presence heartbeat and WebSocket ping interval; a socket silent for two is dropped. Default 30000. */
  heartbeatMs?: number;
  /** Presence not refreshed by a heartbeat within this reads as offline (the hub died). Default 300000 (5 min). */
  presenceTtlMs?: number;
  /** A typing indicator not refreshed within this disappears. Default 10000. */
  typingTtlMs?: number;
  /** Events kept in each channel's recent-message cache, sent to a client that connects without `since`. Default 100. */
  recentLimit?: number;
  /** Most events replayed to a reconnecting client; past it the history frame says `truncated`. Default 5000. */
  replayLimit?: number;
  /** About this many events kept per channel stream (XADD MAXLEN ~). Default 10000. */
  historyMaxLen?: number;
  /**
   * Most open connections (sessions that said hello) one user may have on every hub together;
   * a hello past it gets a `too_many_connections` error and close 4429. Sessions of a hub that
   * died count until presenceTtlMs runs out. Default 20.
   */
  maxConnectionsPerUser?: number;
  /** Token buckets per user and action (`hello` among them), over DEFAULT_CHAT_RATE_LIMITS. */
  rateLimits?: Partial<Record<ChatAction, TokenBucketOptions>>;
  /** The per-connection frame flood guard. Default DEFAULT_FLOOD_OPTIONS. */
  flood?: FloodOptions;
  /** A socket with more than this many bytes waiting to be sent is closed (1013) as too slow. Default 8 MiB. */
  maxBufferedBytes?: number;
  /** Serve the web page on `/`. Default true. */
  web?: boolean;
  /** Where the hub reports what it did not expect (a Redis error while handling a frame). Default console.error. */
  log?: (line: string) => void;
}

export type ResolvedChatHubOptions = Required<Omit<ChatHubOptions, 'transport' | 'metrics' | 'hubId' | 'flood'>> & {
  hubId: string;
  flood: Required<FloodOptions>;
};

export const DEFAULT_CHAT_HUB_OPTIONS = {
  tokens: [] as readonly ChatTokenConfig[],
  channels: [] as readonly ChatChannelConfig[],
  host: '127.0.0.1',
  port: 8090,
  path: '/ws',
  maxFrameBytes: 128 * 1024,
  maxPayloadBytes: 1024 * 1024,
  helloTimeoutMs: 10_000,
  heartbeatMs: 30_000,
  presenceTtlMs: 5 * 60_000,
  typingTtlMs: 10_000,
  recentLimit: 100,
  replayLimit: 5_000,
  historyMaxLen: 10_000,
  maxConnectionsPerUser: 20,
  rateLimits: {},
  flood: DEFAULT_FLOOD_OPTIONS,
  maxBufferedBytes: 8 * 1024 * 1024,
  web: true,
} as const;

function invalid(message: string): AgentbusError {
  return new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, message);
}

function positiveInt(name: string, value: number, min = 1): number {
  if (!Number.isInteger(value) || value < min) throw invalid(`createChatHub: ${name} must be a whole number >= ${min}, got ${String(value)} (set ${name})`);
  return value;
}

/** Fills in the defaults and checks every number, naming the option to change. */
export function resolveChatHubOptions(options: ChatHubOptions): ResolvedChatHubOptions {
  const o = { ...DEFAULT_CHAT_HUB_OPTIONS, ...dropUndefined(options) };
  for (const name of [
    'maxFrameBytes',
    'maxPayloadBytes',
    'helloTimeoutMs',
    'heartbeatMs',
    'presenceTtlMs',
    'typingTtlMs',
    'recentLimit',
    'replayLimit',
    'historyMaxLen',
    'maxConnectionsPerUser',
    'maxBufferedBytes',
  ] as const) {
    positiveInt(name, o[name]);
  }
  positiveInt('port', o.port, 0);
  if (o.port > 65_535) throw invalid(`createChatHub: port must be 0-65535, got ${o.port} (set port / CHAT_PORT)`);
  if (o.maxFrameBytes > o.maxPayloadBytes) {
    throw invalid(`createChatHub: maxFrameBytes (${o.maxFrameBytes}) must not exceed maxPayloadBytes (${o.maxPayloadBytes})`);
  }
  if (!o.path.startsWith('/')) throw invalid(`createChatHub: path must start with /, got ${JSON.stringify(o.path)}`);
  const hubId = options.hubId ?? `${os.hostname().replace(/[^A-Za-z0-9._-]/g, '-')}-${process.pid}-${randomBytes(3).toString('hex')}`;
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(hubId)) throw invalid(`createChatHub: hubId must be 1-100 of A-Z a-z 0-9 . _ -, got ${JSON.stringify(hubId)}`);
  return {
    ...o,
    hubId,
    flood: { ...DEFAULT_FLOOD_OPTIONS, ...dropUndefined(options.flood ?? {}) },
    log: options.log ?? ((line) => console.error(line)),
  };
}

function dropUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
