import type { Pool, PoolClient } from 'pg';
import { createBackoff } from './backoff';

export interface NotifyListener {
  /** Resolves once the first LISTEN succeeded or failed (it keeps retrying after a failure). */
  readonly started: Promise<void>;
  listening(): boolean;
  close(): Promise<void>;
}

export interface NotifyListenerOptions {
  pool: Pool;
  channel: string;
  /** A notification arrived, or LISTEN was (re-)established and some may have been missed. */
  onNotify: () => void;
  onError: (error: Error) => void;
  minRetryMs: number;
  maxRetryMs: number;
}

/**
 * Holds one pool connection in LISTEN and re-establishes it with backoff when it drops. Only a
 * wake-up: the relay also polls, so a lost notification delays an event, never loses it.
 */
export function createNotifyListener(o: NotifyListenerOptions): NotifyListener {
  const backoff = createBackoff(o.minRetryMs, o.maxRetryMs);
  let client: PoolClient | undefined;
  let closed = false;
  let retryTimer: NodeJS.Timeout | undefined;

  const drop = (c: PoolClient, error: Error | undefined): void => {
    if (client !== c) return;
    client = undefined;
    // A connection in LISTEN must not go back to the pool: destroy it.
    c.release(error ?? true);
  };

  const scheduleRetry = (): void => {
    if (closed) return;
    retryTimer = setTimeout(() => void connect(), backoff.next());
    retryTimer.unref?.();
  };

  async function connect(): Promise<void> {
    retryTimer = undefined;
    if (closed) return;
    let c: PoolClient | undefined;
    try {
      c = await o.pool.connect();
      const conn = c;
      conn.on('notification', (msg) => {
        if (msg.channel === o.channel) o.onNotify();
      });
      conn.on('error', (error: Error) => {
        if (client !== conn) return;
        drop(conn, error);
        o.onError(error);
        scheduleRetry();
      });
      await conn.query(`LISTEN ${o.channel}`);
      if (closed) {
        conn.release(true);
        return;
      }
      client = conn;
      backoff.reset();
      // Inserts committed while nobody listened sent their notifications to no one.
      o.onNotify();
    } catch (error) {
      c?.release(true);
      o.onError(error as Error);
      scheduleRetry();
    }
  }

  const started = connect();
  return {
    started,
    listening: () => client !== undefined,
    async close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      await started;
      if (client) drop(client, undefined);
    },
  };
}
