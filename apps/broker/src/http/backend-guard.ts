import { ERROR_CODES, type AgentbusErrorCode } from '@agentbus/schema';
import type { HealthReport, RedisClient, Transport } from '@agentbus/transport';
import { RequestRejectedError } from './request-rejected';

/**
 * Keeps a request from waiting on a Redis that is not there. ioredis queues commands while it
 * reconnects and retries them for as long as its reconnect attempts last (tens of seconds), so
 * without this a request to a broker whose Redis is down hangs instead of answering 503.
 */
export interface BackendGuard {
  /** Whether Redis is connected right now (always true on the memory backend). */
  connected(): boolean;
  /**
   * Resolves once Redis is connected: at once when it is, after at most `timeoutMs` while a first
   * connection is being made. Throws a 503 RequestRejectedError (CONNECTION_FAILED) when it is
   * not: nothing of the request has been sent to Redis then.
   */
  ready(): Promise<void>;
  /**
   * Runs `work`; each time it has run `timeoutMs` without an answer, a health probe (shared by
   * concurrent requests) asks whether Redis still answers. When it does not, the request ends in
   * a 503 (TIMEOUT) and `signal` aborts, so `work` sends nothing more; a command already sent may
   * still be carried out. A slow answer from a healthy Redis is waited for.
   */
  watch<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T>;
}

const RETRY_AFTER_MS = 1_000;

function unavailable(code: AgentbusErrorCode, why: string, timeoutMs: number): RequestRejectedError {
  return new RequestRejectedError(
    code,
    503,
    `the backend (Redis) ${why}: retry after ${RETRY_AFTER_MS / 1000} s (the broker waits up to backendTimeoutMs = ${timeoutMs} ms, BROKER_BACKEND_TIMEOUT_MS; /health/ready says when Redis is back)`,
    { retryAfterMs: RETRY_AFTER_MS },
  );
}

/** Resolves on 'ready'; rejects on the first sign that this connection attempt failed, or after `ms`. */
function awaitReady(client: RedisClient, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('close', onFail);
      client.off('end', onFail);
      resolve(ok);
    };
    const onReady = () => done(true);
    const onFail = () => done(false);
    const timer = setTimeout(onFail, ms);
    client.on('ready', onReady);
    client.on('close', onFail);
    client.on('end', onFail);
  });
}

export function createBackendGuard(transport: Transport, timeoutMs: number): BackendGuard {
  const client = transport.redis;
  let probe: Promise<HealthReport> | undefined;
  const healthy = () => (probe ??= transport.health().finally(() => (probe = undefined)));

  return {
    connected: () => client === undefined || client.status === 'ready',

    async ready() {
      if (client === undefined || client.status === 'ready') return;
      if (client.status === 'end') throw unavailable(ERROR_CODES.CLOSED, 'connection is closed', timeoutMs);
      // 'reconnecting' and 'close': the connection was lost and ioredis is between attempts.
      if (client.status !== 'wait' && client.status !== 'connecting' && client.status !== 'connect') {
        throw unavailable(ERROR_CODES.CONNECTION_FAILED, 'is not connected', timeoutMs);
      }
      const waiting = awaitReady(client, timeoutMs);
      // A lazy client connects on its first command; connecting here means no command is queued.
      if (client.status === 'wait') client.connect().catch(() => undefined);
      if (!(await waiting)) throw unavailable(ERROR_CODES.CONNECTION_FAILED, 'does not accept a connection', timeoutMs);
    },

    async watch(work) {
      const controller = new AbortController();
      const running = work(controller.signal);
      if (client === undefined) return running;
      let timer: NodeJS.Timeout | undefined;
      let settled = false;
      const watchdog = new Promise<never>((_, reject) => {
        const arm = () => {
          timer = setTimeout(() => {
            void (async () => {
              const answers = client.status === 'ready' && (await healthy()).ok;
              if (settled) return;
              if (answers) return arm();
              controller.abort();
              reject(unavailable(ERROR_CODES.TIMEOUT, `did not answer within ${timeoutMs} ms and a health probe failed`, timeoutMs));
            })();
          }, timeoutMs);
        };
        arm();
      });
      try {
        return await Promise.race([running, watchdog]);
      } finally {
        settled = true;
        clearTimeout(timer);
        // Abandoned work may still fail later; that failure has no one to go to.
        running.catch(() => undefined);
      }
    },
  };
}
