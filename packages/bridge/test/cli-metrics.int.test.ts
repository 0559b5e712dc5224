// `agentbus-bridge relay --metrics-port`: /metrics and /health of a relay run in process against
// the run's real PostgreSQL and Redis.
import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { l1Topic } from '@agentbus/schema';
import { createRedisTransport, type Transport } from '@agentbus/transport';
import { freePort, startOtlpCollector, uniquePrefix } from '@agentbus/test-utils';
import { recordL1, runCli } from '../src/index';
import { MIGRATE_LOCK_SPACE, MODULE_LOCK_SPACE } from '../src/internal/sql';
import { freshDatabase, l1Event, outboxCount, seqOf, streamOf, type TestDatabase } from './helpers';

const MODULE = 'climetrics';

function io(env: NodeJS.ProcessEnv, signal?: AbortSignal) {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { env, out: (l: string) => void out.push(l), err: (l: string) => void err.push(l), ...(signal ? { signal } : {}) } };
}

/** A port nothing listens on (the OS hands out a free one; it is closed again at once). */

/** Whether something accepts connections on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function get(port: number, route: string, method = 'GET') {
  const res = await fetch(`http://127.0.0.1:${port}${route}`, { method });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** The value of one series (`name` or `name{labels}`) in a Prometheus text exposition. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

let db: TestDatabase;
let transport: Transport;
let namespace: string;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  db = await freshDatabase('cli_metrics');
  namespace = uniquePrefix('climetrics');
  transport = createRedisTransport({ url: inject('redisUrl'), namespace });
  env = { DATABASE_URL: db.url, REDIS_URL: inject('redisUrl'), REDIS_NAMESPACE: namespace };
});
afterAll(async () => {
  await transport?.close();
  await db?.close();
});

describe('agentbus-bridge relay --metrics-port', () => {
  it('serves the backlog, per-event relay latency and publish counters on /metrics, the relay state on /health', async () => {
    const port = await freePort();
    const stop = new AbortController();
    const r = io(env, stop.signal);
    // Holding the module's relay lock keeps the rows waiting, so a backlog sample sees them.
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    let running: Promise<number> | undefined;
    try {
      await holder.query('SELECT pg_advisory_lock($1, hashtext($2))', [MODULE_LOCK_SPACE, MODULE]);
      running = runCli(['relay', '--metrics-port', String(port), '--poll-interval-ms', '100'], r.io);
      await vi.waitFor(() => expect(r.out.some((l) => l.startsWith('relay: ready'))).toBe(true), { timeout: 15_000, interval: 20 });
      expect(r.out).toContain(`relay: metrics on http://127.0.0.1:${port}/metrics, health on http://127.0.0.1:${port}/health`);

      const rows = 4;
      for (let i = 0; i < rows; i++) await recordL1(db.pool, l1Event(MODULE, i));
      // The relay samples the backlog every 5 s.
      await vi.waitFor(async () => expect(sample((await get(port, '/metrics')).text, 'agentbus_bridge_backlog')).toBe(rows), {
        timeout: 15_000,
        interval: 100,
      });
      expect(await outboxCount(db.pool)).toBe(rows);

      await holder.query('SELECT pg_advisory_unlock($1, hashtext($2))', [MODULE_LOCK_SPACE, MODULE]);
      await vi.waitFor(async () => expect(await outboxCount(db.pool)).toBe(0), { timeout: 10_000, interval: 20 });
      expect((await streamOf(transport, MODULE)).map(seqOf)).toEqual([0, 1, 2, 3]);

      // Drained: the next backlog sample is 0.
      await vi.waitFor(async () => expect(sample((await get(port, '/metrics')).text, 'agentbus_bridge_backlog')).toBe(0), {
        timeout: 15_000,
        interval: 100,
      });
      const m = await get(port, '/metrics');
      expect(m.status).toBe(200);
      expect(m.type).toMatch(/^text\/plain/);
      expect(sample(m.text, 'agentbus_bridge_relay_latency_seconds_count')).toBe(rows);
      expect(sample(m.text, 'agentbus_bridge_relay_latency_seconds_sum')).toBeGreaterThan(0);
      expect(sample(m.text, `agentbus_messages_published_total{topic="${l1Topic(MODULE)}"}`)).toBe(rows);

      const h = await get(port, '/health');
      expect(h.status).toBe(200);
      expect(h.type).toBe('application/json');
      const health = JSON.parse(h.text) as { status: string; state: string; stats: { relayed: number; backlog: number | null } };
      expect(health).toMatchObject({ status: 'ok', state: 'running', stats: { relayed: rows, backlog: 0 } });

      expect((await get(port, '/nope')).status).toBe(404);
      expect((await get(port, '/metrics', 'POST')).status).toBe(405);
    } finally {
      stop.abort();
      await holder.end();
    }
    expect(await running).toBe(0);
    expect(r.out.at(-1)).toMatch(/^relay: stopped; relayed 4 /);
    expect(await listening(port)).toBe(false);
  });

  it('/health is 503 until the relay runs (here: waiting for the migration lock)', async () => {
    const port = await freePort();
    const stop = new AbortController();
    const r = io({ ...env, BRIDGE_METRICS_PORT: String(port) }, stop.signal);
    // Another process migrating: `--migrate` waits for its lock, the metrics server already answers.
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    let running: Promise<number> | undefined;
    try {
      await holder.query('SELECT pg_advisory_lock($1, 0)', [MIGRATE_LOCK_SPACE]);
      running = runCli(['relay', '--migrate'], r.io);
      await vi.waitFor(async () => expect(await listening(port)).toBe(true), { timeout: 15_000, interval: 20 });
      const h = await get(port, '/health');
      expect(h.status).toBe(503);
      expect(JSON.parse(h.text)).toEqual({ status: 'unavailable', state: 'starting', stats: null });
      expect(sample((await get(port, '/metrics')).text, 'agentbus_bridge_relay_latency_seconds_count')).toBe(0);

      await holder.query('SELECT pg_advisory_unlock($1, 0)', [MIGRATE_LOCK_SPACE]);
      await vi.waitFor(() => expect(r.out.some((l) => l.startsWith('relay: ready'))).toBe(true), { timeout: 15_000, interval: 20 });
      expect((await get(port, '/health')).status).toBe(200);
    } finally {
      stop.abort();
      await holder.end();
    }
    expect(await running).toBe(0);
    expect(await listening(port)).toBe(false);
  });

  it('a bad port is an error naming the variable or the flag; a port in use is an error', async () => {
    const badEnv = io({ ...env, BRIDGE_METRICS_PORT: 'abc' });
    expect(await runCli(['relay'], badEnv.io)).toBe(1);
    expect(badEnv.err).toHaveLength(1);
    expect(badEnv.err[0]).toMatch(/BRIDGE_METRICS_PORT must be a port number/);

    const badFlag = io(env);
    expect(await runCli(['relay', '--metrics-port', '70000'], badFlag.io)).toBe(2);
    expect(badFlag.err[0]).toMatch(/--metrics-port must be a port number, 0-65535/);

    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const inUse = io(env);
      const port = (taken.address() as net.AddressInfo).port;
      expect(await runCli(['relay', '--metrics-port', String(port)], inUse.io)).toBe(1);
      expect(inUse.err[0]).toMatch(new RegExp(`metrics server on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });

  it('without @agentbus/metrics installed, --metrics-port exits 1 with one line saying what to install', async () => {
    vi.doMock('@agentbus/metrics', () => {
      throw new Error("Cannot find package '@agentbus/metrics'");
    });
    try {
      const r = io(env);
      expect(await runCli(['relay', '--metrics-port', String(await freePort())], r.io)).toBe(1);
      expect(r.err).toHaveLength(1);
      expect(r.err[0]).toMatch(/npm install @agentbus\/metrics/);
      expect(r.err[0]).toMatch(/--metrics-port/);
    } finally {
      vi.doUnmock('@agentbus/metrics');
    }
  });

  it('with OTEL_EXPORTER_OTLP_ENDPOINT, each relayed row is a publish span in the trace its writer stored', async () => {
    const collector = await startOtlpCollector();
    const module = `${MODULE}trace`;
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const writerSpan = '00f067aa0ba902b7';
    const stop = new AbortController();
    const r = io({ ...env, OTEL_EXPORTER_OTLP_ENDPOINT: collector.url }, stop.signal);
    let running: Promise<number> | undefined;
    try {
      running = runCli(['relay', '--poll-interval-ms', '100'], r.io);
      await vi.waitFor(() => expect(r.out.some((l) => l.startsWith('relay: ready'))).toBe(true), { timeout: 15_000, interval: 20 });
      await recordL1(db.pool, l1Event(module, 0), { traceparent: `00-${traceId}-${writerSpan}-01` });
      await vi.waitFor(async () => expect(await streamOf(transport, module)).toHaveLength(1), { timeout: 10_000, interval: 20 });
    } finally {
      stop.abort();
    }
    // Stopping flushes the spans still buffered.
    expect(await running).toBe(0);
    try {
      const span = collector.spans().find((s) => s.name === `publish ${l1Topic(module)}`);
      expect(span).toMatchObject({ traceId, parentSpanId: writerSpan, service: 'agentbus-bridge' });
      // The envelope carries the relay's span on, so the L2 consumer continues the same trace.
      const [env0] = await streamOf(transport, module);
      expect(env0!.traceparent).toBe(`00-${traceId}-${span!.spanId}-01`);
    } finally {
      await collector.close();
    }
  });
});
