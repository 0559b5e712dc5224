import { AgentbusError, ERROR_CODES } from '@agentbus/schema';
import type { Transport } from '@agentbus/transport';
import type { Pool, PoolClient, QueryResult } from 'pg';
import { createBackoff } from './internal/backoff';
import { createNotifyListener, type NotifyListener } from './internal/notify-listener';
import { publishRows, type PublishedRow } from './internal/publish-rows';
import { parseClaimedRow, type RejectedRow } from './internal/outbox-row';
import { BACKLOG, claimBatch, deleteAndCommit, MARK, NOTIFY_CHANNEL, UNDEFINED_FUNCTION } from './internal/sql';
import { withTimeout } from './internal/with-timeout';
import type { OutboxRow } from './l1-envelope';
import type { BacklogInfo } from './backlog';
import { backlogRowSchema } from './internal/backlog-row';

/** One event the relay put in its stream. */
export interface RelayedEvent {
  /** Outbox id (bigint as text). */
  outboxId: string;
  /** Envelope id (UUIDv7 of the row). */
  eventId: string;
  topic: string;
  /** Stream entry id; for a duplicate, the entry an earlier relay wrote. */
  streamId: string;
  /** True when an earlier relay had already written it (it died before deleting the row): nothing was added. */
  duplicate: boolean;
  /** When the XADD's reply came, ms since epoch (sub-ms precision). */
  publishedAt: number;
  /** From the row's insert to the XADD's reply, ms. */
  latencyMs: number;
}

/** A row set aside in `agentbus_bridge.outbox_dead` instead of being relayed. */
export interface DeadRow {
  outboxId: string;
  error: string;
}

/** What one batch did; given to the hooks. */
export interface RelayedBatch {
  events: RelayedEvent[];
  dead: DeadRow[];
  /** From claiming the rows to their deletion's commit, ms (up to the XADD replies for `beforeMark`). */
  durationMs: number;
}

export interface RelayHooks {
  /** After each batch committed: events relayed, the largest insert -> stream latency (ms), details. */
  onRelayed?(count: number, latencyMs: number, batch: RelayedBatch): void;
  /** A failed batch (Redis down, PostgreSQL gone, ...): it is retried with backoff; nothing is lost. */
  onError?(error: Error): void;
  /** Each backlog sample (every `backlogIntervalMs`): rows waiting and the oldest one's age. */
  onBacklog?(info: BacklogInfo): void;
  /** Rows moved to `agentbus_bridge.outbox_dead` (not a valid L1 event, refused by the bus). */
  onDead?(rows: readonly DeadRow[]): void;
  /**
   * Awaited after the batch's XADDs and before its rows are deleted, inside the batch's
   * transaction: a place for fault tests to stop a relay at its most delicate moment. A throw
   * gives the batch back (it is re-published and deduped).
   */
  beforeMark?(batch: RelayedBatch): Promise<void> | void;
}

export interface RelayOptions {
  /** Where the outbox is (migrated with `migrate`). The relay holds one connection for LISTEN and uses one per batch. */
  pool: Pool;
  /** Where the events go: stream `mem0.recorded.<module>` of this transport. */
  transport: Transport;
  /** Rows claimed per batch. Default 500. */
  batchSize?: number;
  /**
   * Modules claimed per batch at most: a batch holds one PostgreSQL advisory lock per module it
   * takes rows from, in the server's shared lock table (`max_locks_per_transaction` x
   * `max_connections` entries for all sessions, 64 x 100 by default). Modules past this wait for
   * the next batch or go to another relay. Default 32.
   */
  maxModulesPerBatch?: number;
  /** Polling fallback: look for rows this often even when no notification came (ms). Default 1000. */
  pollIntervalMs?: number;
  /**
   * Publishes are deduped by envelope id inside this window (ms), which is what makes a relay
   * that died between XADD and deleting the row harmless. It must outlast the longest time a
   * row can wait for its re-publish (a Redis outage that began mid-batch). Redis keeps one small
   * key per event for the window. Default 10 min.
   */
  dedupeWindowMs?: number;
  /** Also PUBLISH each event on Pub/Sub, channel = its topic, after the batch committed. Default false. */
  pubsub?: boolean;
  /** The envelopes' `from`. Default `agentbus-bridge`. */
  agentId?: string;
  /** A batch whose XADDs have not all answered by then is given back and retried (ms). Default 10 s. */
  publishTimeoutMs?: number;
  /**
   * A relay holds a batch's rows at most this long: PostgreSQL ends a session idle in its batch
   * transaction this long (a hung relay), freeing its rows for the others (ms). Default 30 s.
   */
  leaseMs?: number;
  /** Backoff after a failed batch: from this, doubling (ms). Default 100. */
  minBackoffMs?: number;
  /** Backoff cap (ms). Default 5000. */
  maxBackoffMs?: number;
  /** How often to count the backlog for `stats()` and `onBacklog` (ms). Default 5000; 0 = never. */
  backlogIntervalMs?: number;
  /** Wake on LISTEN/NOTIFY; false = polling only. Default true. */
  listen?: boolean;
  hooks?: RelayHooks;
}

export const DEFAULT_RELAY_OPTIONS = {
  batchSize: 500,
  maxModulesPerBatch: 32,
  pollIntervalMs: 1_000,
  dedupeWindowMs: 10 * 60_000,
  pubsub: false,
  agentId: 'agentbus-bridge',
  publishTimeoutMs: 10_000,
  leaseMs: 30_000,
  minBackoffMs: 100,
  maxBackoffMs: 5_000,
  backlogIntervalMs: 5_000,
  listen: true,
} as const satisfies Omit<RelayOptions, 'pool' | 'transport' | 'hooks'>;

export type RelayState = 'starting' | 'running' | 'backoff' | 'closed';

/** Counters since start, for metrics (read them on each scrape). */
export interface RelayStats {
  state: RelayState;
  /** Events put in their stream (duplicates included: their rows were settled too). */
  relayed: number;
  /** Of those, already written by an earlier relay that died before deleting the rows. */
  duplicates: number;
  batches: number;
  /** Failed batches (each retried). */
  failures: number;
  /** Rows moved to outbox_dead. */
  dead: number;
  /** Pub/Sub notifications that failed (at-most-once; the stream has the event). */
  pubsubErrors: number;
  /** Rows waiting at the last backlog sample; null before the first. */
  backlog: number | null;
  /** Age of the oldest waiting row at the last sample (ms); null when none waited. */
  oldestAgeMs: number | null;
  /** Insert -> stream latency of the last batch's oldest event (ms). */
  lastLatencyMs: number | null;
  /** When the last batch committed, ms since epoch. */
  lastRelayedAt: number | null;
  lastError: string | null;
  /** Whether the LISTEN connection is up (else only polling wakes the relay). */
  listening: boolean;
}

export interface Relay {
  /** Resolves once the relay listens and its first batch ran. */
  ready(): Promise<void>;
  /** Look for rows now (e.g. right after a commit the caller knows of). */
  wake(): void;
  stats(): RelayStats;
  /** Counts the backlog now (one query). */
  backlog(): Promise<BacklogInfo>;
  /** Finishes the batch in hand, stops listening and polling. The pool and transport stay open (they are the caller's). */
  close(): Promise<void>;
}

function checkOptions(o: Required<Omit<RelayOptions, 'hooks'>>): void {
  const bad = (msg: string): never => {
    throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, `createRelay: ${msg}`);
  };
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1) bad(`batchSize must be an integer >= 1, got ${o.batchSize}`);
  if (!Number.isInteger(o.maxModulesPerBatch) || o.maxModulesPerBatch < 1) {
    bad(`maxModulesPerBatch must be an integer >= 1, got ${o.maxModulesPerBatch}`);
  }
  for (const k of ['pollIntervalMs', 'dedupeWindowMs', 'publishTimeoutMs', 'leaseMs', 'minBackoffMs', 'maxBackoffMs'] as const) {
    if (!(o[k] > 0)) bad(`${k} must be > 0, got ${o[k]}`);
  }
  if (!(o.backlogIntervalMs >= 0)) bad(`backlogIntervalMs must be >= 0, got ${o.backlogIntervalMs}`);
  if (o.publishTimeoutMs * 2 > o.leaseMs) bad(`publishTimeoutMs (${o.publishTimeoutMs}) must be at most half of leaseMs (${o.leaseMs})`);
  if (o.dedupeWindowMs <= o.leaseMs) bad(`dedupeWindowMs (${o.dedupeWindowMs}) must be longer than leaseMs (${o.leaseMs})`);
}

const nowMs = (): number => performance.timeOrigin + performance.now();

/** Outbox order: ids are bigint text without leading zeros, so shorter is smaller. */
function byOutboxId(a: { id?: unknown }, b: { id?: unknown }): number {
  const x = String(a.id);
  const y = String(b.id);
  return x.length - y.length || (x < y ? -1 : x > y ? 1 : 0);
}

/** pg answers a multi-statement query with one result per statement: the claim is the last. */
function lastResult(result: QueryResult | QueryResult[]): QueryResult {
  return Array.isArray(result) ? result[result.length - 1]! : result;
}
const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

type ClaimSettings = Required<Pick<RelayOptions, 'leaseMs' | 'batchSize' | 'maxModulesPerBatch'>>;

/**
 * Opens the batch's transaction on `client` and claims its rows (unchecked, as PostgreSQL sent
 * them), module after module from the one after `after`.
 */
async function claimRows(client: PoolClient, o: ClaimSettings, after: string | null): Promise<Record<string, unknown>[]> {
  try {
    return lastResult(await client.query<Record<string, unknown>>(claimBatch(o.leaseMs, o.batchSize, o.maxModulesPerBatch, after))).rows;
  } catch (error) {
    // The claim is a function of migration 002: without it every batch would fail the same way.
    if ((error as { code?: unknown }).code === UNDEFINED_FUNCTION) {
      throw new AgentbusError(
        ERROR_CODES.NOT_FOUND,
        `the outbox schema predates this relay (${(error as Error).message}): run \`agentbus-bridge migrate\` or migrate(pool), or start the relay with --migrate (BRIDGE_MIGRATE=1)`,
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * Relays the outbox to Redis: every committed row becomes exactly one stream entry on
 * `mem0.recorded.<module>`, in order per module, however many relays run. Starts at once.
 *
 * Each batch: claim the oldest rows of up to `maxModulesPerBatch` modules no other relay holds
 * (an advisory lock per module taken, `FOR UPDATE` of its rows), XADD them with their UUIDv7 as
 * the dedupe key, delete them, commit. A relay that dies after the XADD leaves its rows in place;
 * the next relay re-publishes them and Redis drops the duplicates. Redis down: the batch fails,
 * the relay backs off, the rows wait in PostgreSQL; writers never notice.
 */
export function createRelay(options: RelayOptions): Relay {
  const o = { ...DEFAULT_RELAY_OPTIONS, ...options };
  checkOptions(o);
  const { pool, transport } = o;
  const hooks = o.hooks ?? {};
  const backoff = createBackoff(o.minBackoffMs, o.maxBackoffMs);
  const stats: RelayStats = {
    state: 'starting',
    relayed: 0,
    duplicates: 0,
    batches: 0,
    failures: 0,
    dead: 0,
    pubsubErrors: 0,
    backlog: null,
    oldestAgeMs: null,
    lastLatencyMs: null,
    lastRelayedAt: null,
    lastError: null,
    listening: false,
  };
  let closed = false;
  let woken = false;
  // The last module taken: the next claim starts after it, so every module gets its turn.
  let after: string | null = null;
  let waiter: { done: () => void; wakeable: boolean } | null = null;
  let markReady!: () => void;
  const readyP = new Promise<void>((resolve) => {
    markReady = resolve;
  });

  const report = (error: unknown): void => {
    const e = asError(error);
    stats.lastError = e.message;
    try {
      hooks.onError?.(e);
    } catch {
      // A throwing hook must not stop the relay.
    }
  };
  const callHook = (fn: () => void): void => {
    try {
      fn();
    } catch (error) {
      report(error);
    }
  };

  function wait(ms: number, wakeable: boolean): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(), ms);
      const done = (): void => {
        clearTimeout(timer);
        waiter = null;
        resolve();
      };
      waiter = { done, wakeable };
    });
  }

  function wake(): void {
    woken = true;
    if (waiter?.wakeable) waiter.done();
  }

  function assertRedisUp(): void {
    // Commands sent while ioredis reconnects would pile up in its offline queue and all run at
    // once later; give the batch back instead and let the rows wait in PostgreSQL.
    const status = transport.redis?.status;
    if (status === 'reconnecting' || status === 'close' || status === 'end') {
      throw new AgentbusError(ERROR_CODES.CONNECTION_FAILED, `Redis connection is ${status}: the outbox backlog waits in PostgreSQL`);
    }
  }

  function notifyPubSub(published: readonly PublishedRow[]): void {
    for (const p of published) {
      transport.pubsub.publish(p.row.topic, p.envelope).catch(() => {
        stats.pubsubErrors++;
      });
    }
  }

  /** One batch; returns whether it was full (by rows or by modules), i.e. more rows may wait. */
  async function runBatch(): Promise<boolean> {
    assertRedisUp();
    const client = await pool.connect();
    let broken = false;
    const onClientError = (): void => {
      broken = true;
    };
    // A checked-out pg client emits 'error' when its connection drops; unheard, it would crash the process.
    client.on('error', onClientError);
    let open = false;
    try {
      const started = performance.now();
      open = true;
      const claimed = await claimRows(client, o, after);
      if (claimed.length === 0) {
        await client.query('COMMIT');
        open = false;
        return false;
      }
      const last = claimed[claimed.length - 1]!.source_module;
      if (typeof last === 'string') after = last;
      const full = claimed.length >= o.batchSize || new Set(claimed.map((r) => r.source_module)).size >= o.maxModulesPerBatch;
      const rows: OutboxRow[] = [];
      const rejected: RejectedRow[] = [];
      for (const raw of [...claimed].sort(byOutboxId)) {
        const parsed = parseClaimedRow(raw);
        if (parsed.ok) rows.push(parsed.row);
        else rejected.push(parsed.rejected);
      }
      const unknown = rejected.find((r) => r.id === '');
      if (unknown) throw new AgentbusError(ERROR_CODES.INTERNAL, `${unknown.error}; run \`agentbus-bridge migrate\``);
      // Past half the lease, PostgreSQL may soon end this session and another relay take the rows:
      // publishing now could race it, so give them back.
      if (performance.now() - started > o.leaseMs / 2) {
        throw new AgentbusError(ERROR_CODES.TIMEOUT, `claiming a batch took over ${o.leaseMs / 2} ms; batch given back`);
      }
      const { published, refused } = await withTimeout(
        publishRows(transport, rows, { from: o.agentId, dedupeWindowMs: o.dedupeWindowMs, now: nowMs }),
        o.publishTimeoutMs,
        'publishing a batch to Redis',
      );
      const deadRows: DeadRow[] = [...rejected, ...refused].map((r) => ({ outboxId: r.id, error: r.error }));
      const batch: RelayedBatch = {
        events: published.map((p) => ({
          outboxId: p.row.id,
          eventId: p.row.eventId,
          topic: p.row.topic,
          streamId: p.streamId,
          duplicate: p.duplicate,
          publishedAt: p.publishedAt,
          latencyMs: p.latencyMs,
        })),
        dead: deadRows,
        durationMs: performance.now() - started,
      };
      if (hooks.beforeMark) await hooks.beforeMark(batch);
      const relayedIds = published.map((p) => p.row.id);
      if (deadRows.length === 0) {
        await client.query(deleteAndCommit(relayedIds));
      } else {
        await client.query(MARK, [relayedIds.concat(deadRows.map((d) => d.outboxId)), deadRows.map((d) => d.outboxId), deadRows.map((d) => d.error)]);
        await client.query('COMMIT');
      }
      open = false;
      batch.durationMs = performance.now() - started;

      stats.batches++;
      stats.relayed += published.length;
      stats.duplicates += published.filter((p) => p.duplicate).length;
      stats.dead += deadRows.length;
      stats.lastRelayedAt = Date.now();
      if (o.pubsub) notifyPubSub(published);
      if (published.length > 0) {
        const maxLatency = Math.max(...batch.events.map((e) => e.latencyMs));
        stats.lastLatencyMs = maxLatency;
        if (hooks.onRelayed) callHook(() => hooks.onRelayed!(published.length, maxLatency, batch));
      }
      if (deadRows.length > 0 && hooks.onDead) callHook(() => hooks.onDead!(deadRows));
      return full;
    } catch (error) {
      if (open) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
      }
      throw error;
    } finally {
      client.off('error', onClientError);
      // A connection that failed mid-batch is destroyed, not handed to the next user of the pool.
      client.release(broken);
    }
  }

  async function loop(): Promise<void> {
    await listener?.started;
    while (!closed) {
      woken = false;
      let full: boolean;
      try {
        full = await runBatch();
        backoff.reset();
        stats.state = 'running';
      } catch (error) {
        stats.failures++;
        stats.state = 'backoff';
        report(error);
        markReady();
        // Notifications do not cut a backoff short: they keep coming while Redis is down.
        await wait(backoff.next(), false);
        continue;
      }
      markReady();
      if (closed) break;
      // A full batch means more may wait; a notification during the batch means new rows.
      if (full || woken) continue;
      await wait(o.pollIntervalMs, true);
    }
    stats.state = 'closed';
    markReady();
  }

  async function backlog(): Promise<BacklogInfo> {
    const { rows } = await pool.query(BACKLOG);
    const r = backlogRowSchema.parse(rows[0]);
    return { rows: r.rows, oldestAgeMs: r.oldest_age_ms === null ? null : Math.max(0, r.oldest_age_ms) };
  }

  let sampling = false;
  async function sampleBacklog(): Promise<void> {
    if (sampling || closed) return;
    sampling = true;
    try {
      const info = await backlog();
      stats.backlog = info.rows;
      stats.oldestAgeMs = info.oldestAgeMs;
      if (hooks.onBacklog) callHook(() => hooks.onBacklog!(info));
    } catch (error) {
      report(error);
    } finally {
      sampling = false;
    }
  }

  const listener: NotifyListener | undefined = o.listen
    ? createNotifyListener({
        pool,
        channel: NOTIFY_CHANNEL,
        onNotify: wake,
        onError: report,
        minRetryMs: o.minBackoffMs,
        maxRetryMs: o.maxBackoffMs,
      })
    : undefined;
  const sampler = o.backlogIntervalMs > 0 ? setInterval(() => void sampleBacklog(), o.backlogIntervalMs) : undefined;
  sampler?.unref?.();
  if (sampler) void sampleBacklog();
  const running = loop();

  return {
    ready: () => readyP,
    wake,
    stats: () => ({ ...stats, listening: listener?.listening() ?? false }),
    backlog,
    async close() {
      closed = true;
      if (sampler) clearInterval(sampler);
      waiter?.done();
      await running;
      await listener?.close();
    },
  };
}

