import { AgentbusError, ERROR_CODES } from '@agentbus/schema';
import type { RedisClient } from '@agentbus/transport';
import type { WorkerLog } from './worker-log';

/** `connecting`: no answer yet; `up`: ready; `down`: unreachable at start, or lost since. */
export type RedisState = 'connecting' | 'up' | 'down';

export interface RedisWatch {
  /** `Redis at host:port`, as the transport's own errors name it. */
  readonly target: string;
  state(): RedisState;
  /** For probes: the state, and while not up since when and why. */
  describe(): { redis: RedisState; downMs?: number; error?: string };
  /**
   * True (and counted) when Redis is not up: the outage's own line already explains the error,
   * so the consumer's retries during it need no line each.
   */
  absorb(error: Error): boolean;
  /** Resolves once Redis is up; rejects once `deadlineMs` (> 0) passed or `signal` aborted. */
  waitUp(deadlineMs: number, signal?: AbortSignal): Promise<void>;
  /** Stops watching (before the client is closed, so a deliberate close is not an outage). */
  close(): void;
}

function describeClient(client: RedisClient): string {
  if ((client as { isCluster?: boolean }).isCluster) return 'Redis Cluster';
  const o = client.options as { host?: string; port?: number; name?: string; sentinels?: unknown };
  if (o.sentinels) return `Redis Sentinel master ${o.name}`;
  return `Redis at ${o.host}:${o.port}`;
}

/**
 * Follows the connection of the transport's ioredis client through its events and logs one line
 * per change: `redis unreachable` (at start), `redis connected` (after that), `redis connection
 * lost`, `redis connection restored`. ioredis keeps reconnecting with backoff on its own; this
 * only reports, and starts the first connection of a lazy client.
 */
export function watchRedis(client: RedisClient, log: WorkerLog): RedisWatch {
  const target = describeClient(client);
  let state: RedisState = client.status === 'ready' ? 'up' : 'connecting';
  let everUp = state === 'up';
  let since = Date.now();
  let lastError: string | undefined;
  let absorbed = 0;
  let closed = false;
  const waiters = new Set<() => void>();

  const down = (): void => {
    if (closed || state === 'down') return;
    const wasUp = state === 'up';
    state = 'down';
    since = Date.now();
    absorbed = 0;
    if (wasUp) log('error', 'redis connection lost', { target, ...(lastError ? { error: lastError } : {}), hint: 'retrying with backoff; not ready meanwhile' });
    else log('error', 'redis unreachable', { target, error: lastError ?? 'no answer', hint: 'retrying with backoff; not ready meanwhile (--start-deadline to give up)' });
  };
  const onError = (error: Error): void => {
    lastError = error.message;
    if (state === 'connecting') down();
  };
  const onReady = (): void => {
    if (closed || state === 'up') return;
    if (state === 'down') {
      const fields = { target, downMs: Date.now() - since, errorsWhileDown: absorbed };
      log('info', everUp ? 'redis connection restored' : 'redis connected', fields);
    }
    state = 'up';
    everUp = true;
    since = Date.now();
    lastError = undefined;
    for (const w of [...waiters]) w();
  };
  client.on('error', onError);
  client.on('close', down);
  client.on('end', down);
  client.on('ready', onReady);
  // A lazy client connects on its first command; the worker sends none until Redis answers.
  if (client.status === 'wait') client.connect().catch(() => undefined);

  return {
    target,
    state: () => state,
    describe() {
      if (state === 'up') return { redis: state };
      return { redis: state, downMs: Date.now() - since, ...(lastError ? { error: lastError } : {}) };
    },
    absorb(error) {
      if (state === 'up') return false;
      absorbed++;
      lastError ??= error.message;
      return true;
    },
    waitUp(deadlineMs, signal) {
      if (state === 'up') return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        const finish = (error?: AgentbusError) => {
          waiters.delete(onUp);
          if (timer) clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          if (error) reject(error);
          else resolve();
        };
        const onUp = () => finish();
        const onAbort = () => finish(new AgentbusError(ERROR_CODES.CLOSED, `worker stopped while waiting for ${target}`));
        waiters.add(onUp);
        if (signal?.aborted) return onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
        if (deadlineMs > 0) {
          timer = setTimeout(() => {
            const why = lastError ?? 'no answer';
            finish(
              new AgentbusError(
                ERROR_CODES.CONNECTION_FAILED,
                `${target} still unreachable ${deadlineMs} ms after start (${why}); raise --start-deadline / WORKER_START_DEADLINE (0 = keep retrying) or check REDIS_URL`,
              ),
            );
          }, deadlineMs);
        }
      });
    },
    close() {
      closed = true;
      client.off('error', onError);
      client.off('close', down);
      client.off('end', down);
      client.off('ready', onReady);
    },
  };
}
