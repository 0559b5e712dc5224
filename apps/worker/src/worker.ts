import { combineHooks, createMetrics, startProbeServer, tracingReliabilityHooks, withTracing, type Metrics } from '@agentbus/metrics';
import { createReliability, type Reliability, type ReliabilityOptions } from '@agentbus/reliability';
import { createTransport, type Consumer, type Handler, type Transport } from '@agentbus/transport';
import type { WorkerOptions } from './worker-options';

export interface Worker {
  readonly transport: Transport;
  readonly consumer: Consumer;
  /** The /health and /metrics address. */
  readonly url: string;
  /** Stops reading, lets in-flight handlers finish within the deadline, acks, closes. */
  stop(): Promise<void>;
}

export interface CreateWorkerOptions extends Omit<WorkerOptions, 'handler'> {
  handler: Handler;
  /** Default: from the environment (REDIS_URL, QUEUE_BACKEND, REDIS_NAMESPACE). */
  transport?: Transport;
  /** Retry and dead-letter settings, or a Reliability to share (one process running broker and worker). */
  reliability?: ReliabilityOptions | Reliability;
  metrics?: Metrics;
  /** Read-loop errors (Redis down, ...). Default: written to stderr as one JSON line. */
  onError?: (error: Error) => void;
}

/** Starts consuming with retries and dead letters on, plus the /health and /metrics server. */
export async function createWorker(options: CreateWorkerOptions): Promise<Worker> {
  const metrics = options.metrics ?? createMetrics();
  const owned = !options.transport;
  const base = options.transport ?? createTransport({ hooks: metrics.transportHooks() });
  // Each handler runs in a CONSUMER span continuing the envelope's traceparent, and what it
  // publishes through this transport continues the trace. No-op spans until the process
  // registers an SDK (startTracing in main.ts).
  const transport = withTracing(base);
  const shared = options.reliability !== undefined && 'deadLetters' in options.reliability;
  const reliability: Reliability = shared
    ? (options.reliability as Reliability)
    : createReliability(transport, {
        ...(options.reliability as ReliabilityOptions | undefined),
        hooks: combineHooks(metrics.reliabilityHooks(), tracingReliabilityHooks()),
      });
  const onError =
    options.onError ??
    ((e: Error) => process.stderr.write(`${JSON.stringify({ level: 'error', msg: 'worker read loop', error: e.message })}\n`));
  const consumer = reliability.consume(options.topic, options.handler, {
    group: options.group,
    ...(options.consumer ? { consumer: options.consumer } : {}),
    concurrency: options.concurrency,
    onError,
  });
  const unwatch = metrics.watchTopics({ stats: transport, topics: [options.topic], deadLetters: reliability.deadLetters });
  let stopping = false;
  const server = await startProbeServer({
    port: options.port,
    host: options.host,
    metrics: async () => ({ body: await metrics.metrics(), contentType: metrics.contentType }),
    probes: {
      // Alive and reading.
      '/health': () => ({ ok: !stopping, body: { status: stopping ? 'stopping' : 'ok' } }),
      // Its backend answers.
      '/health/ready': async () => {
        const h = await transport.health();
        const ok = h.ok && !stopping;
        return { ok, body: { status: ok ? 'ready' : 'unavailable', detail: h } };
      },
    },
  });
  await consumer.ready();
  return {
    transport,
    consumer,
    url: server.url,
    async stop() {
      if (stopping) return;
      stopping = true;
      await consumer.close(options.stopDeadlineMs);
      unwatch();
      if (!shared) await reliability.close();
      await server.close();
      if (owned) await base.close();
      if (!options.metrics) metrics.close();
    },
  };
}
