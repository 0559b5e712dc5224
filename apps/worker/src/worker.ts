import {
  combineHooks,
  createMetrics,
  startProbeServer,
  tracingReliabilityHooks,
  withTracing,
  type Metrics,
  type ProbeResult,
  type ProbeServer,
} from '@agentbus/metrics';
import { createReliability, type Reliability, type ReliabilityOptions } from '@agentbus/reliability';
import { AgentbusError, ERROR_CODES } from '@agentbus/schema';
import { createTransport, type ConsumeOptions, type Consumer, type Handler, type Transport } from '@agentbus/transport';
import { watchRedis, type RedisWatch } from './redis-watch';
import { errorThrottle, jsonLog, loggedHandler, reliabilityLogHooks, transportLogHooks, type WorkerLog } from './worker-log';
import { resolveWorkerTuning, type WorkerOptions, type WorkerTuning } from './worker-options';

export interface Worker {
  readonly transport: Transport;
  readonly consumer: Consumer;
  /** The /health and /metrics address. */
  readonly url: string;
  /** The recovery settings in effect (defaults filled in). */
  readonly tuning: WorkerTuning;
  /** Stops reading, lets in-flight handlers finish within the deadline, acks, closes. */
  stop(): Promise<void>;
}

export interface CreateWorkerOptions extends Omit<WorkerOptions, 'handler' | keyof WorkerTuning>, Partial<WorkerTuning> {
  handler: Handler;
  /** Default: from `env` (REDIS_URL, QUEUE_BACKEND, REDIS_NAMESPACE). */
  transport?: Transport;
  /** Where the transport's settings come from when none is given. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /**
   * Retry and dead-letter settings (over retryDelaysMs, maxAttempts, maxDeliveries), or a
   * Reliability to share (one process running broker and worker): its retry schedule and hooks
   * are its owner's, so retries and dead letters are then not logged by the worker.
   */
  reliability?: ReliabilityOptions | Reliability;
  metrics?: Metrics;
  /** Read-loop errors (Redis down, ...). Default: one log line each, none while Redis is known to be down. */
  onError?: (error: Error) => void;
  /** Log lines. Default: JSON lines on stdout. */
  log?: WorkerLog;
  /** Aborted while the worker still waits for Redis at start: createWorker rejects with CLOSED. */
  signal?: AbortSignal;
}

type Phase = 'starting' | 'ok' | 'stopping';

function isShared(r: CreateWorkerOptions['reliability']): r is Reliability {
  return r !== undefined && 'deadLetters' in r;
}

function buildReliability(transport: Transport, options: CreateWorkerOptions, tuning: WorkerTuning, metrics: Metrics, log: WorkerLog): Reliability {
  if (isShared(options.reliability)) return options.reliability;
  const own = options.reliability;
  return createReliability(transport, {
    maxDeliveries: tuning.maxDeliveries,
    ...own,
    retry: { delaysMs: tuning.retryDelaysMs, maxAttempts: tuning.maxAttempts, ...own?.retry },
    hooks: combineHooks(metrics.reliabilityHooks(), tracingReliabilityHooks(), reliabilityLogHooks(log), own?.hooks),
  });
}

function consumeOptions(options: CreateWorkerOptions, tuning: WorkerTuning, onError: (e: Error) => void): ConsumeOptions {
  return {
    group: options.group,
    ...(options.consumer ? { consumer: options.consumer } : {}),
    concurrency: options.concurrency,
    prefetch: tuning.prefetch,
    claimIdleMs: tuning.claimIdleMs,
    claimIntervalMs: tuning.claimIntervalMs,
    leaseRenewMs: tuning.leaseRenewMs,
    reapIdleMs: tuning.reapIdleMs,
    ...(tuning.handlerTimeoutMs > 0 ? { handlerTimeoutMs: tuning.handlerTimeoutMs } : {}),
    // A shared Reliability keeps its own poison limit unless this worker was given one.
    ...(!isShared(options.reliability) || options.maxDeliveries !== undefined ? { maxDeliveries: tuning.maxDeliveries } : {}),
    onError,
  };
}

/**
 * `/health`: alive (200 unless stopping; `starting` while waiting for Redis). `/health/ready`:
 * consuming and Redis answering; answered at once while Redis is known to be down.
 */
function startProbes(options: CreateWorkerOptions, transport: Transport, metrics: Metrics, watch: RedisWatch | undefined, phase: () => Phase): Promise<ProbeServer> {
  const redis = () => (watch ? { redis: watch.state() } : {});
  return startProbeServer({
    port: options.port,
    host: options.host,
    metrics: async () => ({ body: await metrics.metrics(), contentType: metrics.contentType }),
    probes: {
      '/health': () => ({ ok: phase() !== 'stopping', body: { status: phase(), ...redis() } }),
      '/health/ready': async (): Promise<ProbeResult> => {
        if (phase() !== 'ok' || (watch && watch.state() !== 'up')) {
          return { ok: false, body: { status: 'unavailable', phase: phase(), ...watch?.describe() } };
        }
        const h = await transport.health();
        const ok = h.ok && phase() === 'ok';
        return { ok, body: { status: ok ? 'ready' : 'unavailable', ...redis(), detail: h } };
      },
    },
  });
}

/**
 * Starts the /health and /metrics server, waits for Redis (retrying, not ready meanwhile; up to
 * `startDeadlineMs` when set), then consumes with retries and dead letters on. Every handler
 * failure, retry, dead letter, lost lease and Redis outage is one log line.
 */
export async function createWorker(options: CreateWorkerOptions): Promise<Worker> {
  const log = options.log ?? jsonLog;
  const tuning = resolveWorkerTuning(options);
  const metrics = options.metrics ?? createMetrics();
  const owned = !options.transport;
  const base =
    options.transport ?? createTransport({ env: options.env ?? process.env, hooks: combineHooks(metrics.transportHooks(), transportLogHooks(log)) });
  // Each handler runs in a CONSUMER span continuing the envelope's traceparent, and what it
  // publishes through this transport continues the trace. No-op spans until the process
  // registers an SDK (startTracing in main.ts).
  const transport = withTracing(base);
  const reliability = buildReliability(transport, options, tuning, metrics, log);
  const watch = base.redis ? watchRedis(base.redis, log) : undefined;
  const { topic, group } = options;
  const throttle = errorThrottle();
  const onError = (e: Error): void => {
    if (options.onError) return options.onError(e);
    if (watch?.absorb(e)) return;
    const code = (e as Partial<AgentbusError>).code;
    if (code === ERROR_CODES.LEASE_LOST) {
      // An owned transport's onLeaseLost hook has logged it already.
      if (!owned) log('warn', 'lease lost', { topic, group, count: 1, error: e.message });
      return;
    }
    const { due, repeats } = throttle(`${code}\u0000${e.message}`);
    if (due) log('error', 'consumer error', { topic, group, ...(code ? { code } : {}), error: e.message, ...(repeats > 0 ? { repeats } : {}) });
  };

  let phase: Phase = 'starting';
  let consumer: Consumer | undefined;
  let server: ProbeServer | undefined;
  let unwatchTopics = (): void => undefined;
  const shutdown = async (deadlineMs: number): Promise<void> => {
    phase = 'stopping';
    await consumer?.close(deadlineMs);
    unwatchTopics();
    if (!isShared(options.reliability)) await reliability.close();
    await server?.close();
    // Before the client closes: a deliberate close is no outage.
    watch?.close();
    if (owned) await base.close();
    if (!options.metrics) metrics.close();
  };

  try {
    // Probes answer while the worker waits for Redis: alive, not ready.
    server = await startProbes(options, transport, metrics, watch, () => phase);
    await watch?.waitUp(tuning.startDeadlineMs, options.signal);
    if (options.signal?.aborted) throw new AgentbusError(ERROR_CODES.CLOSED, 'worker stopped before it started');
    consumer = reliability.consume(topic, loggedHandler(options.handler, log), consumeOptions(options, tuning, onError));
    unwatchTopics = metrics.watchTopics({ stats: transport, topics: [topic], deadLetters: reliability.deadLetters });
    await consumer.ready();
  } catch (error) {
    await shutdown(0);
    throw error;
  }
  phase = 'ok';
  const started = consumer;
  const url = server.url;
  let stopped: Promise<void> | undefined;
  return {
    transport,
    consumer: started,
    url,
    tuning,
    stop() {
      stopped ??= shutdown(options.stopDeadlineMs);
      return stopped;
    },
  };
}
