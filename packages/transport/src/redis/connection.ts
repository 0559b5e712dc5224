import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { AgentbusError, ERROR_CODES } from '@agentbus/schema';
import { toAgentbusError } from './redis-errors';
import { defineTransportScripts, VARIABLE_KEY_SCRIPTS } from './scripts';

export type RedisClient = Redis | Cluster;

export interface SentinelOptions {
  sentinels: Array<{ host: string; port: number }>;
  /** The master group name. */
  name: string;
  sentinelPassword?: string;
}

export interface RedisConnectionOptions {
  /** `redis://[user:pass@]host:port[/db]` or `rediss://` for TLS. Default `REDIS_URL`, else redis://127.0.0.1:6379. */
  url?: string;
  /** Redis Cluster seed nodes (`host:port`, comma-separated or an array). Default `REDIS_CLUSTER_NODES`. */
  clusterNodes?: string | string[];
  /** Sentinel-managed master; the URL's credentials and db apply to it. */
  sentinel?: SentinelOptions;
  /** TLS options (CA, client cert, servername); implied by `rediss://`. */
  tls?: TlsOptions;
  /** Give up connecting after this many ms. Default 10000. */
  connectTimeoutMs?: number;
  /**
   * `health()` reports Redis as down when PING and INFO have not answered within this many ms,
   * instead of waiting out the reconnect attempts (a readiness probe must answer). Default 2000.
   */
  healthTimeoutMs?: number;
  /** Fail a command queued while disconnected after this many reconnect attempts. Default 20. */
  maxRetriesPerRequest?: number;
  /** Longest wait between reconnect attempts in ms (backoff doubles up to it). Default 5000. */
  maxReconnectDelayMs?: number;
  /** RESP protocol version. Default 2 (stable reply shapes on every supported Redis). */
  protocol?: 2 | 3;
  /** ioredis pipelines commands issued in the same tick on its own. Default true. */
  autoPipelining?: boolean;
  /**
   * Where `REDIS_URL` and `REDIS_CLUSTER_NODES` are read when no `url`, `clusterNodes` or
   * `sentinel` is given. Default `process.env`.
   */
  env?: NodeJS.ProcessEnv;
  /** Anything else for ioredis (escape hatch). */
  redis?: RedisOptions;
}

export const DEFAULT_REDIS_CONNECTION_OPTIONS = {
  url: 'redis://127.0.0.1:6379',
  connectTimeoutMs: 10_000,
  healthTimeoutMs: 2_000,
  maxRetriesPerRequest: 20,
  maxReconnectDelayMs: 5_000,
  protocol: 2,
  autoPipelining: true,
} as const satisfies RedisConnectionOptions;

/** Reads the connection settings from the environment (`REDIS_URL`, `REDIS_CLUSTER_NODES`). */
export function connectionOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): RedisConnectionOptions {
  const options: RedisConnectionOptions = {};
  if (env.REDIS_URL) options.url = env.REDIS_URL;
  if (env.REDIS_CLUSTER_NODES) options.clusterNodes = env.REDIS_CLUSTER_NODES;
  return options;
}

function parseNodes(nodes: string | string[]): Array<{ host: string; port: number }> {
  const list = (Array.isArray(nodes) ? nodes : nodes.split(',')).map((n) => n.trim()).filter(Boolean);
  return list.map((n) => {
    const m = /^(?:redis:\/\/)?\[?([^\]]+?)\]?:(\d+)$/.exec(n);
    if (!m) {
      throw new AgentbusError(
        ERROR_CODES.INVALID_ARGUMENT,
        `invalid cluster node ${JSON.stringify(n)}: use host:port (REDIS_CLUSTER_NODES)`,
      );
    }
    return { host: m[1]!, port: Number(m[2]) };
  });
}

function urlOptions(url: string): RedisOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch (cause) {
    throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, `invalid REDIS_URL ${JSON.stringify(url)}: use redis://host:port`, { cause });
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new AgentbusError(
      ERROR_CODES.INVALID_ARGUMENT,
      `invalid REDIS_URL scheme ${u.protocol}: use redis:// or rediss:// (TLS)`,
    );
  }
  const o: RedisOptions = { host: u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(u.port || 6379) };
  if (u.username) o.username = decodeURIComponent(u.username);
  if (u.password) o.password = decodeURIComponent(u.password);
  const db = u.pathname.replace('/', '');
  if (db) o.db = Number(db);
  if (u.protocol === 'rediss:') o.tls = {};
  return o;
}

function retryStrategy(maxDelay: number): (times: number) => number {
  // Exponential backoff with full jitter, so many clients do not reconnect in lockstep.
  return (times) => Math.round(Math.random() * Math.min(maxDelay, 50 * 2 ** Math.min(times, 10))) + 10;
}

/**
 * Closes a client we own. QUIT lets the replies in flight arrive; with Redis unreachable it would
 * wait out every reconnect attempt, so a client that is not connected is dropped at once and what
 * it had queued fails.
 */
export async function closeRedisClient(client: RedisClient, where: string): Promise<void> {
  if (client.status === 'ready') {
    await client.quit().catch(() => client.disconnect());
    return;
  }
  client.disconnect();
  if (client.status === 'end') return;
  // Disconnected between reconnect attempts, ioredis 6 never runs its close handler again, so the
  // queued commands would stay pending forever: fail them as a closed connection does, and refuse
  // what comes later (an auto-pipeline waiting behind the failed one is sent after this).
  client.options.enableOfflineQueue = false;
  const internals = client as unknown as { flushQueue?: (error: Error) => void };
  internals.flushQueue?.(new AgentbusError(ERROR_CODES.CONNECTION_FAILED, `${where}: the transport was closed while not connected`));
}

/** Where the connection goes, for error messages (never the password). */
export function describeTarget(options: RedisConnectionOptions): string {
  if (options.clusterNodes) return `Redis Cluster ${parseNodes(options.clusterNodes).map((n) => `${n.host}:${n.port}`).join(',')}`;
  if (options.sentinel) return `Redis Sentinel master ${options.sentinel.name}`;
  const o = urlOptions(options.url ?? DEFAULT_REDIS_CONNECTION_OPTIONS.url);
  return `Redis at ${o.host}:${o.port}`;
}

/** Connection options with the target settled, and where that target came from. */
export interface ResolvedConnection {
  options: RedisConnectionOptions;
  /** The target and its source, e.g. `Redis at 10.0.0.5:6379 (REDIS_URL)`: errors name it. */
  where: string;
}

/**
 * Settles where to connect, the same way for `createTransport`, `createRedisTransport` and
 * `createRedisClient`: a target in the options (`url`, `clusterNodes`, `sentinel`) wins; else
 * `REDIS_CLUSTER_NODES`, else `REDIS_URL`, else redis://127.0.0.1:6379. A Sentinel without a
 * `url` takes its credentials from `REDIS_URL`.
 */
export function resolveConnection(options: RedisConnectionOptions = {}): ResolvedConnection {
  const env = options.env ?? process.env;
  const named = (o: RedisConnectionOptions, source: string): ResolvedConnection => ({ options: o, where: `${describeTarget(o)} (${source})` });
  if (options.clusterNodes) return named(options, 'clusterNodes option');
  if (options.sentinel) {
    if (options.url || !env.REDIS_URL) return named(options, 'sentinel option');
    return named({ ...options, url: env.REDIS_URL }, 'sentinel option, credentials from REDIS_URL');
  }
  if (options.url) return named(options, 'url option');
  if (env.REDIS_CLUSTER_NODES) return named({ ...options, clusterNodes: env.REDIS_CLUSTER_NODES }, 'REDIS_CLUSTER_NODES');
  if (env.REDIS_URL) return named({ ...options, url: env.REDIS_URL }, 'REDIS_URL');
  return named(options, 'the default: neither the url option nor REDIS_URL is set');
}

/**
 * Creates an ioredis client (standalone, Cluster or Sentinel), not yet connected: the first
 * command connects. Scripts are registered on it. Without a target in the options it connects
 * where `REDIS_CLUSTER_NODES` or `REDIS_URL` say (see `resolveConnection`).
 */
export function createRedisClient(given: RedisConnectionOptions = {}): RedisClient {
  const options = resolveConnection(given).options;
  const o = { ...DEFAULT_REDIS_CONNECTION_OPTIONS, ...options };
  for (const name of ['connectTimeoutMs', 'healthTimeoutMs'] as const) {
    if (!(o[name] > 0 && Number.isFinite(o[name]))) {
      throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, `${name} must be a number of ms above 0, got ${String(o[name])}`);
    }
  }
  const common: RedisOptions = {
    lazyConnect: true,
    connectTimeout: o.connectTimeoutMs,
    maxRetriesPerRequest: o.maxRetriesPerRequest,
    retryStrategy: retryStrategy(o.maxReconnectDelayMs),
    enableAutoPipelining: o.autoPipelining,
    protocol: o.protocol,
    ...(o.tls ? { tls: o.tls } : {}),
    ...o.redis,
  } as RedisOptions;
  let client: RedisClient;
  if (o.clusterNodes) {
    const seeds = parseNodes(o.clusterNodes);
    const auth = options.url ? urlOptions(options.url) : {};
    const clusterOptions: ClusterOptions = {
      lazyConnect: true,
      enableAutoPipelining: o.autoPipelining,
      // A Cluster's auto-pipeline routes a command by its first argument; these scripts take
      // `numkeys` first, so they must go out on their own, routed by their keys.
      autoPipeliningIgnoredCommands: [...VARIABLE_KEY_SCRIPTS],
      clusterRetryStrategy: retryStrategy(o.maxReconnectDelayMs),
      redisOptions: {
        ...common,
        ...(auth.username ? { username: auth.username } : {}),
        ...(auth.password ? { password: auth.password } : {}),
        ...(auth.tls ? { tls: o.tls ?? {} } : {}),
      },
      shardedSubscribers: true,
    } as ClusterOptions;
    client = new Cluster(seeds, clusterOptions);
  } else if (o.sentinel) {
    const base = options.url ? urlOptions(options.url) : {};
    client = new Redis({
      ...common,
      ...(base.username ? { username: base.username } : {}),
      ...(base.password ? { password: base.password } : {}),
      ...(base.db !== undefined ? { db: base.db } : {}),
      sentinels: o.sentinel.sentinels,
      name: o.sentinel.name,
      ...(o.sentinel.sentinelPassword ? { sentinelPassword: o.sentinel.sentinelPassword } : {}),
    });
  } else {
    const u = urlOptions(o.url);
    client = new Redis({ ...common, ...u, ...(u.tls ? { tls: { ...o.tls } } : {}), ...o.redis });
  }
  // An 'error' listener keeps ioredis from printing every reconnect failure; the last one is
  // kept to explain a later command failure.
  client.on('error', (err: Error) => {
    lastErrors.set(client, err);
  });
  defineTransportScripts(client);
  return client;
}

const lastErrors = new WeakMap<RedisClient, Error>();

/** The last connection-level error the client reported, if any. */
export function lastConnectionError(client: RedisClient): Error | undefined {
  return lastErrors.get(client);
}

/**
 * Connects and waits until the client is ready; fails with one typed error (refused, auth, TLS,
 * timeout) instead of retrying forever.
 */
export async function connectRedis(client: RedisClient, given: RedisConnectionOptions = {}): Promise<void> {
  const { options, where } = resolveConnection(given);
  if (client.status === 'ready') return;
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_REDIS_CONNECTION_OPTIONS.connectTimeoutMs;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      new Promise<void>((resolve, reject) => {
        const onReady = () => {
          cleanup();
          resolve();
        };
        const onError = (err: Error) => {
          // Auth and TLS errors do not heal by retrying; refused connections may (server starting).
          const mapped = toAgentbusError(err, where);
          if (mapped.code === ERROR_CODES.AUTH_FAILED || mapped.code === ERROR_CODES.TLS_FAILED) {
            cleanup();
            reject(mapped);
          }
        };
        const cleanup = () => {
          client.off('ready', onReady);
          client.off('error', onError);
        };
        client.on('ready', onReady);
        client.on('error', onError);
        if (client.status === 'wait') {
          client.connect().catch(() => undefined);
        }
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const last = lastErrors.get(client);
          const mapped = last ? toAgentbusError(last, where) : undefined;
          const tls = options.url?.startsWith('rediss:') || options.tls !== undefined;
          if (tls && (!mapped || mapped.code === ERROR_CODES.TIMEOUT)) {
            // A plain-text server never answers a TLS hello: the handshake just hangs.
            reject(
              new AgentbusError(
                ERROR_CODES.TLS_FAILED,
                `TLS handshake with ${where} did not complete within ${timeoutMs} ms: a rediss:// URL against a plain port? Use redis:// for a server without TLS, or check the tls options`,
                mapped ? { cause: mapped } : {},
              ),
            );
            return;
          }
          reject(
            mapped ??
              new AgentbusError(ERROR_CODES.TIMEOUT, `${where} did not become ready within ${timeoutMs} ms; raise connectTimeoutMs or check REDIS_URL`),
          );
        }, timeoutMs);
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}
