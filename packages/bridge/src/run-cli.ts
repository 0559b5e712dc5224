import { parseArgs } from 'node:util';
import type * as MetricsModule from '@agentbus/metrics';
import { isAgentbusError } from '@agentbus/schema';
import { createTransport, selectBackend } from '@agentbus/transport';
import { Pool } from 'pg';
import { migrate } from './migrate';
import { createRelay, type Relay } from './relay';
import { relayEnv } from './relay-env';

export const CLI_USAGE = `usage: agentbus-bridge <command> [options]

commands:
  migrate   create or update the outbox schema (agentbus_bridge) in DATABASE_URL
  relay     relay the outbox to Redis until SIGINT/SIGTERM

relay options (each also a BRIDGE_* variable):
  --migrate                 run the migrations first            BRIDGE_MIGRATE=1
  --batch-size N            rows per batch (default 500)       BRIDGE_BATCH_SIZE
  --poll-interval-ms N      polling fallback (default 1000)    BRIDGE_POLL_INTERVAL_MS
  --pubsub                  also PUBLISH each event            BRIDGE_PUBSUB=1
  --metrics-port N          serve /metrics, /health (0 = off)  BRIDGE_METRICS_PORT
  --metrics-host H          bind address (default 127.0.0.1)   BRIDGE_METRICS_HOST
                            metrics need the optional package: npm install @agentbus/metrics

environment: DATABASE_URL (required), REDIS_URL or REDIS_CLUSTER_NODES (relay), REDIS_NAMESPACE,
BRIDGE_MAX_MODULES_PER_BATCH, BRIDGE_DEDUPE_WINDOW_MS, BRIDGE_PUBLISH_TIMEOUT_MS, BRIDGE_LEASE_MS,
BRIDGE_AGENT_ID`;

export interface CliIo {
  /** Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Default console.log. */
  out?: (line: string) => void;
  /** Default console.error. */
  err?: (line: string) => void;
  /** Ends `relay` (the bin aborts it on SIGINT/SIGTERM). */
  signal?: AbortSignal;
}

class UsageError extends Error {}

function intFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a whole number >= 1, got ${JSON.stringify(value)}`);
  return n;
}

function portFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d{1,5}$/.test(value) || n > 65_535) throw new UsageError(`--metrics-port must be a port number, 0-65535 (0 = off), got ${JSON.stringify(value)}`);
  return n;
}

/**
 * The optional @agentbus/metrics (and with it prom-client and OpenTelemetry), loaded only when
 * metrics or tracing are asked for; `wanted` names the setting that asked.
 */
async function loadMetricsModule(wanted: string): Promise<typeof MetricsModule> {
  return import('@agentbus/metrics').catch((cause: unknown) => {
    const why = (cause instanceof Error ? cause.message : String(cause)).split('\n')[0];
    throw new Error(`${wanted} needs the optional package @agentbus/metrics: run \`npm install @agentbus/metrics\`, or leave ${wanted} unset (${why})`);
  });
}

function aborted(signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return new Promise(() => undefined);
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

async function runMigrate(io: Required<Omit<CliIo, 'signal'>>): Promise<number> {
  const { databaseUrl } = relayEnv(io.env);
  const pool = new Pool({ connectionString: databaseUrl, max: 1, application_name: 'agentbus-bridge-migrate' });
  pool.on('error', () => undefined);
  try {
    const r = await migrate(pool);
    io.out(r.applied.length > 0 ? `migrated: applied ${r.applied.join(', ')}; schema at version ${r.version}` : `up to date: schema at version ${r.version}`);
    return 0;
  } finally {
    await pool.end();
  }
}

async function runRelay(args: string[], io: Required<Omit<CliIo, 'signal'>> & Pick<CliIo, 'signal'>): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      migrate: { type: 'boolean' },
      'batch-size': { type: 'string' },
      'poll-interval-ms': { type: 'string' },
      pubsub: { type: 'boolean' },
      'metrics-port': { type: 'string' },
      'metrics-host': { type: 'string' },
    },
  });
  const cfg = relayEnv(io.env);
  const batchSize = intFlag('batch-size', values['batch-size']);
  const pollIntervalMs = intFlag('poll-interval-ms', values['poll-interval-ms']);
  if (batchSize !== undefined) cfg.options.batchSize = batchSize;
  if (pollIntervalMs !== undefined) cfg.options.pollIntervalMs = pollIntervalMs;
  if (values.pubsub) cfg.options.pubsub = true;
  const metricsPort = portFlag(values['metrics-port']) ?? cfg.metrics.port;
  const metricsHost = values['metrics-host'] || cfg.metrics.host;
  if (selectBackend({ env: io.env }) !== 'redis') {
    throw new UsageError('relay needs Redis: set REDIS_URL (or REDIS_CLUSTER_NODES); the in-memory bus would drop the events');
  }

  // Loaded first: a missing optional package fails before anything connects.
  const otlp = io.env.OTEL_EXPORTER_OTLP_ENDPOINT || io.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const wanted = metricsPort > 0 ? '--metrics-port / BRIDGE_METRICS_PORT' : otlp ? 'OTEL_EXPORTER_OTLP_ENDPOINT' : undefined;
  const mod = wanted ? await loadMetricsModule(wanted) : undefined;
  const metrics = mod && metricsPort > 0 ? mod.createMetrics() : undefined;
  // Each relayed row's publish continues the trace its writer stored with the row (withTracing
  // parents a batch's spans on each envelope's traceparent), so one trace runs commit -> L2.
  const tracing = mod && otlp ? await mod.startTracing({ serviceName: 'agentbus-bridge', env: io.env }) : undefined;
  const pool = new Pool({ connectionString: cfg.databaseUrl, max: 4, application_name: 'agentbus-bridge-relay' });
  // An idle pooled connection that drops emits 'error' on the pool; the next checkout reconnects.
  pool.on('error', (e) => io.err(`relay: postgres: ${e.message}`));
  let lastError = '';
  let lastErrorAt = 0;
  let server: MetricsModule.ProbeServer | undefined;
  let relay: Relay | undefined;
  try {
    if (mod && metrics) {
      server = await mod
        .startProbeServer({
          port: metricsPort,
          host: metricsHost,
          metrics: async () => ({ body: await metrics.metrics(), contentType: metrics.contentType }),
          probes: {
            '/health': () => {
              const stats = relay?.stats();
              const state = stats?.state ?? 'starting';
              return { ok: state === 'running', body: { status: state === 'running' ? 'ok' : 'unavailable', state, stats: stats ?? null } };
            },
          },
        })
        .catch((e: unknown) => {
          throw new Error(`metrics server on ${metricsHost}:${metricsPort}: ${(e as Error).message}`);
        });
      io.out(`relay: metrics on ${server.url}/metrics, health on ${server.url}/health`);
    }
    if (values.migrate || cfg.migrate) {
      const r = await migrate(pool);
      io.out(`relay: schema at version ${r.version}${r.applied.length ? ` (applied ${r.applied.join(', ')})` : ''}`);
    }
    // With metrics, the transport counts the relay's publishes (agentbus_messages_published_total, ...).
    const base = createTransport({ env: io.env, ...(metrics ? { hooks: metrics.transportHooks() } : {}) });
    const transport = mod && tracing?.enabled ? mod.withTracing(base) : base;
    try {
      relay = createRelay({
        pool,
        transport,
        ...cfg.options,
        hooks: {
          onError(error) {
            // Retries come every few seconds while Redis is down: say so once, then every 30 s.
            const now = Date.now();
            if (error.message === lastError && now - lastErrorAt < 30_000) return;
            lastError = error.message;
            lastErrorAt = now;
            io.err(`relay: ${error.message} (retrying; the backlog waits in PostgreSQL)`);
          },
          ...(metrics
            ? {
                // One observation per event (the count argument's latency is only the batch's largest).
                onRelayed(_count, _maxLatencyMs, batch) {
                  for (const e of batch.events) metrics.bridge.observeRelayMs(e.latencyMs);
                },
                onBacklog(info) {
                  metrics.bridge.setBacklog(info.rows);
                },
              }
            : {}),
        },
      });
      await relay.ready();
      io.out(`relay: ready (pid ${process.pid}, batch ${cfg.options.batchSize ?? 'default'})`);
      await aborted(io.signal);
      await relay.close();
    } finally {
      await transport.close();
    }
    const s = relay.stats();
    io.out(`relay: stopped; relayed ${s.relayed} (${s.duplicates} duplicates deduped), ${s.dead} dead rows, ${s.failures} failed batches`);
    return 0;
  } finally {
    await server?.close();
    metrics?.close();
    await pool.end();
    await tracing?.shutdown();
  }
}

/** The `agentbus-bridge` command; returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo = {}): Promise<number> {
  const full = {
    env: io.env ?? process.env,
    out: io.out ?? ((l: string) => console.log(l)),
    err: io.err ?? ((l: string) => console.error(l)),
    ...(io.signal ? { signal: io.signal } : {}),
  };
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'migrate':
        return await runMigrate(full);
      case 'relay':
        return await runRelay(rest, full);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        full.out(CLI_USAGE);
        return command === undefined ? 1 : 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (error) {
    if (error instanceof UsageError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
      full.err(`agentbus-bridge: ${error.message}`);
      full.err('run `agentbus-bridge --help` for usage');
      return 2;
    }
    full.err(`agentbus-bridge ${command}: ${isAgentbusError(error) ? `${error.code}: ` : ''}${(error as Error).message}`);
    return 1;
  }
}
