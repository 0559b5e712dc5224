import { randomUUID } from 'node:crypto';
import { AgentbusError, ERROR_CODES } from '@agentbus/schema';
import { toAgentbusError, type Handler, type RedisClient, type Transport } from '@agentbus/transport';
import {
  IDEMPOTENCY_ACQUIRED,
  IDEMPOTENCY_DONE,
  IDEMPOTENCY_DONE_ALREADY,
  IDEMPOTENCY_LEASE_PREFIX,
  defineLimiterScripts,
} from './redis/limiter-scripts';

/** Per-call settings of `once` and `wrap`; each falls back to the guard's option of the same name. */
export interface OnceOptions {
  /**
   * Records live at `keys.key('idempotency', scope, id)`. Two consumer groups that both run side
   * effects for the same messages need two scopes (e.g. the group name), or the second group
   * would skip what the first did. Default 'default'.
   */
  scope?: string;
  /** How long a done record is kept (ms): a redelivery inside this window is skipped. Default 24 h. */
  ttlMs?: number;
  /**
   * The processing lease (ms) while the side effect runs. It is renewed every `leaseMs / 3`
   * while the holder is alive, so it only expires when the holder crashed or hung; then another
   * consumer may take over. Shorter = faster takeover after a crash. Default 30 s.
   */
  leaseMs?: number;
}

export interface IdempotencyOptions extends OnceOptions {
  /**
   * Clock of the memory backend (ms since epoch), for tests. Default `Date.now`. Ignored on Redis,
   * where the server expires records.
   */
  now?: () => number;
  /**
   * Called when bookkeeping around a side effect fails: marking it done (after 3 tries),
   * removing the record of a failed one, renewing a lease. The side effect's own outcome is
   * still returned or thrown. Default: a process warning.
   */
  onError?: (error: Error, id: string) => void;
}

/** What `once` did. */
export interface OnceResult<T> {
  /** True when `fn` ran now; false when the id was done already (fn did not run). */
  ran: boolean;
  /** fn's result, when it ran. */
  result?: T;
}

export interface IdempotencyGuard {
  /** The options in force (defaults filled in). */
  readonly options: Readonly<Required<OnceOptions>>;
  /**
   * Runs `fn` once per `id` within `ttlMs`. A done id resolves `{ ran: false }` without running
   * fn. While another holder's lease is live it rejects with IdempotencyConflictError (code
   * CONFLICT, retryable): let the message be redelivered later. If fn throws, the record is
   * removed and the error rethrown, so a retry runs fn again.
   */
  once<T>(id: string, fn: () => Promise<T>, opts?: OnceOptions): Promise<OnceResult<T>>;
  /**
   * A transport Handler that runs `handler` once per envelope id (`env.id`): a redelivered or
   * republished message is acked without running it again. With publish dedupe
   * (`dedupeWindowMs`) on the producer side this gives effectively-once processing.
   */
  wrap(handler: Handler, opts?: OnceOptions): Handler;
}

/** The defaults of every IdempotencyOptions field. */
export const DEFAULT_IDEMPOTENCY_OPTIONS = {
  scope: 'default',
  ttlMs: 24 * 60 * 60 * 1000,
  leaseMs: 30_000,
} as const satisfies Required<OnceOptions>;

/**
 * Another consumer is running the side effect of this id right now (its processing lease is
 * live). Retryable: redeliver the message later; it then finds the id done, or the lease expired.
 */
export class IdempotencyConflictError extends AgentbusError {
  readonly id: string;
  /** ms until the holder's lease expires unless it is renewed (it is, while the holder lives). */
  readonly retryAfterMs: number;

  constructor(id: string, scope: string, retryAfterMs: number) {
    super(
      ERROR_CODES.CONFLICT,
      `idempotency id ${id} (scope ${scope}) is being processed by another consumer: its lease is live for ${retryAfterMs} ms more; ` +
        'redeliver the message later. A crashed holder is taken over once its lease expires (lower leaseMs to take over sooner)',
    );
    this.name = 'IdempotencyConflictError';
    this.id = id;
    this.retryAfterMs = retryAfterMs;
  }

  /** Always retryable: the conflict ends when the holder finishes or its lease expires. */
  override get retryable(): boolean {
    return true;
  }
}

type AcquireResult = { state: 'acquired' } | { state: 'done' } | { state: 'busy'; retryAfterMs: number };

/** The storage side of the guard: one Lua script per step on Redis, one synchronous step in memory. */
interface RecordStore {
  acquire(key: string, lease: string, leaseMs: number): Promise<AcquireResult>;
  /** Marks done for ttlMs; true when the lease was still this holder's. */
  complete(key: string, lease: string, ttlMs: number): Promise<boolean>;
  /** Removes the record if it is this holder's lease. */
  release(key: string, lease: string): Promise<boolean>;
  /** Extends this holder's lease; false when it is no longer this holder's. */
  renew(key: string, lease: string, leaseMs: number): Promise<boolean>;
}

interface MemoryRecord {
  value: string;
  expiresAt: number;
}

/** Memory-backend records per transport, so guards on one transport share them as on Redis. */
const memoryRecords = new WeakMap<Transport, Map<string, MemoryRecord>>();

function redisStore(redis: RedisClient): RecordStore {
  defineLimiterScripts(redis);
  const run = async <R>(call: () => Promise<R>): Promise<R> => {
    try {
      return await call();
    } catch (error) {
      throw toAgentbusError(error);
    }
  };
  return {
    async acquire(key, lease, leaseMs) {
      const [code, pttl] = await run(() => redis.agentbus_idem_acquire_v1(key, lease, leaseMs));
      if (code === IDEMPOTENCY_ACQUIRED) return { state: 'acquired' };
      if (code === IDEMPOTENCY_DONE_ALREADY) return { state: 'done' };
      return { state: 'busy', retryAfterMs: Math.max(0, Number(pttl)) };
    },
    complete: async (key, lease, ttlMs) => (await run(() => redis.agentbus_idem_complete_v1(key, lease, ttlMs))) === 1,
    release: async (key, lease) => (await run(() => redis.agentbus_idem_release_v1(key, lease))) === 1,
    renew: async (key, lease, leaseMs) => (await run(() => redis.agentbus_idem_renew_v1(key, lease, leaseMs))) === 1,
  };
}

function memoryStore(transport: Transport, clock: () => number): RecordStore {
  let records = memoryRecords.get(transport);
  if (!records) {
    records = new Map();
    memoryRecords.set(transport, records);
  }
  const map = records;
  let calls = 0;
  /** The live record at `key`; like Redis, an expired one is gone. */
  const live = (key: string, now: number): MemoryRecord | undefined => {
    const r = map.get(key);
    if (r && now >= r.expiresAt) {
      map.delete(key);
      return undefined;
    }
    return r;
  };
  return {
    async acquire(key, lease, leaseMs) {
      const now = clock();
      if (++calls % 1024 === 0) for (const [k, r] of map) if (now >= r.expiresAt) map.delete(k);
      const r = live(key, now);
      if (!r) {
        map.set(key, { value: lease, expiresAt: now + leaseMs });
        return { state: 'acquired' };
      }
      if (r.value === IDEMPOTENCY_DONE) return { state: 'done' };
      return { state: 'busy', retryAfterMs: Math.max(0, r.expiresAt - now) };
    },
    async complete(key, lease, ttlMs) {
      const now = clock();
      const held = live(key, now)?.value === lease;
      map.set(key, { value: IDEMPOTENCY_DONE, expiresAt: now + ttlMs });
      return held;
    },
    async release(key, lease) {
      if (live(key, clock())?.value !== lease) return false;
      map.delete(key);
      return true;
    },
    async renew(key, lease, leaseMs) {
      const now = clock();
      const r = live(key, now);
      if (r?.value !== lease) return false;
      r.expiresAt = now + leaseMs;
      return true;
    },
  };
}

function resolveOnce(base: Required<OnceOptions>, opts: OnceOptions | undefined, where: string): Required<OnceOptions> {
  const o = {
    scope: opts?.scope ?? base.scope,
    ttlMs: opts?.ttlMs ?? base.ttlMs,
    leaseMs: opts?.leaseMs ?? base.leaseMs,
  };
  for (const name of ['ttlMs', 'leaseMs'] as const) {
    const v = o[name];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) {
      throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, `${where}: ${name} must be a whole number of ms > 0, got ${String(v)} (set ${name})`);
    }
  }
  if (typeof o.scope !== 'string' || o.scope === '') {
    throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, `${where}: scope must be a non-empty string, got ${JSON.stringify(o.scope)} (set scope)`);
  }
  return o;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function defaultOnError(error: Error, id: string): void {
  process.emitWarning(`agentbus idempotency (id ${id}): ${error.message}`, { code: 'AGENTBUS_IDEMPOTENCY' });
}

/**
 * Consumer-side idempotency: runs a side effect once per message id, across redeliveries and
 * across processes sharing the Redis. A record at `keys.key('idempotency', scope, id)` holds a
 * processing lease while the side effect runs (SET NX PX, renewed while the holder lives) and
 * `done` for `ttlMs` after it succeeded; a failure removes it so a retry runs again. On the memory
 * backend records live in this process (shared by guards on the same transport).
 */
export function createIdempotencyGuard(transport: Transport, options: IdempotencyOptions = {}): IdempotencyGuard {
  const base = resolveOnce(DEFAULT_IDEMPOTENCY_OPTIONS, options, 'createIdempotencyGuard');
  const store = transport.redis ? redisStore(transport.redis) : memoryStore(transport, options.now ?? Date.now);
  const onError = options.onError ?? defaultOnError;
  const report = (error: unknown, id: string) => {
    try {
      onError(error instanceof Error ? error : new Error(String(error)), id);
    } catch {
      // A failing error hook must not turn a handled side effect into a failure.
    }
  };

  async function once<T>(id: string, fn: () => Promise<T>, opts?: OnceOptions): Promise<OnceResult<T>> {
    const o = resolveOnce(base, opts, `idempotency once(${JSON.stringify(id)})`);
    const key = transport.keys.key('idempotency', o.scope, id);
    const lease = `${IDEMPOTENCY_LEASE_PREFIX}${randomUUID()}`;
    const acquired = await store.acquire(key, lease, o.leaseMs);
    if (acquired.state === 'done') return { ran: false };
    if (acquired.state === 'busy') throw new IdempotencyConflictError(id, o.scope, acquired.retryAfterMs);

    const renewal = setInterval(
      () => {
        store.renew(key, lease, o.leaseMs).then(
          (held) => {
            if (!held) {
              clearInterval(renewal);
              report(new AgentbusError(ERROR_CODES.CONFLICT, `lost the processing lease of ${key} while its side effect ran (raise leaseMs)`), id);
            }
          },
          (error: unknown) => report(error, id),
        );
      },
      Math.max(1, Math.floor(o.leaseMs / 3)),
    );
    renewal.unref();

    let result: T;
    try {
      result = await fn();
    } catch (error) {
      clearInterval(renewal);
      // Removed so a retry runs it again; if this fails the lease expires after leaseMs instead.
      await store.release(key, lease).catch((e: unknown) => report(e, id));
      throw error;
    }
    clearInterval(renewal);

    // The side effect ran: never fail now (that would redeliver and run it again); try hard to
    // record it, and report if that is impossible.
    for (let attempt = 1; ; attempt++) {
      try {
        await store.complete(key, lease, o.ttlMs);
        break;
      } catch (error) {
        if (attempt >= 3) {
          report(error, id);
          break;
        }
        await sleep(50 * attempt);
      }
    }
    return { ran: true, result };
  }

  return {
    options: base,
    once,
    wrap(handler, opts) {
      return async (env, ctx) => {
        await once(env.id, async () => handler(env, ctx), opts);
      };
    },
  };
}
