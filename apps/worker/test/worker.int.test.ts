import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEnvelope } from '@agentbus/schema';
import { createRedisTransport } from '@agentbus/transport';
import { freePort, exited, outputLines, spawnTs, startOtlpCollector, uniquePrefix } from '@agentbus/test-utils';
import { createWorker, type Worker } from '../src/index';

const here = path.dirname(fileURLToPath(import.meta.url));
const main = path.resolve(here, '../src/main.ts');
const handlerFile = path.join(here, 'fixtures/handler.mjs');
const failingFile = path.join(here, 'fixtures/always-fails.mjs');

/** The environment of a worker process, without the consumer-name settings of the shell running the tests. */
function workerEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ['REDIS_CONSUMER', 'WORKER_CONSUMER', 'KUBERNETES_SERVICE_HOST']) delete env[k];
  return { ...env, ...extra };
}


function jsonLines(out: readonly string[]): Array<Record<string, unknown>> {
  return out.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

const open: Array<{ close(): Promise<void> } | Worker> = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await ('stop' in o ? o.stop() : o.close());
});

describe('worker in process', () => {
  it('runs the handler, retries a failure, and serves /health, /health/ready and /metrics', async () => {
    const namespace = uniquePrefix('worker');
    const transport = createRedisTransport({ url: inject('redisUrl'), namespace });
    open.push(transport);
    const handled: unknown[] = [];
    const worker = await createWorker({
      topic: 'jobs',
      group: 'g',
      concurrency: 2,
      port: 0,
      host: '127.0.0.1',
      stopDeadlineMs: 5000,
      transport,
      reliability: { retry: { delaysMs: [50], jitter: 0 }, schedulerIntervalMs: 25 },
      handler: (env, ctx) => {
        if (env.payload === 'flaky' && ctx.attempt === 1) throw new Error('once');
        handled.push([env.payload, ctx.attempt]);
      },
    });
    open.push(worker);
    await transport.publish('jobs', createEnvelope({ type: 'job', from: 't', payload: 'ok' }));
    await transport.publish('jobs', createEnvelope({ type: 'job', from: 't', payload: 'flaky' }));
    await vi.waitFor(() => expect(handled).toEqual([['ok', 1], ['flaky', 2]]), { timeout: 3000 });
    expect(await (await fetch(`${worker.url}/health`)).json()).toEqual({ status: 'ok', redis: 'up' });
    const ready = await fetch(`${worker.url}/health/ready`);
    expect(ready.status).toBe(200);
    const metrics = await (await fetch(`${worker.url}/metrics`)).text();
    expect(metrics).toContain('agentbus_messages_retried_total{topic="jobs"} 1');
    expect(metrics).toContain('agentbus_consumer_pending{topic="jobs",group="g"} 0');
    expect(metrics).toContain('agentbus_group_consumers{topic="jobs",group="g"} 1');
    expect((await fetch(`${worker.url}/nope`)).status).toBe(404);
    expect((await fetch(`${worker.url}/health`, { method: 'POST' })).status).toBe(405);
  });
});

describe('agentbus-worker process', () => {
  it('consumes with a handler module and stops gracefully on SIGTERM, finishing in-flight work', async () => {
    const url = inject('redisUrl');
    const namespace = uniquePrefix('wproc');
    const transport = createRedisTransport({ url, namespace });
    open.push(transport);
    const child = spawnTs(main, ['--topic', 'jobs', '--group', 'g', '--handler', handlerFile, '--port', '0', '--deadline', '5000'], {
      env: { ...process.env, REDIS_URL: url, REDIS_NAMESPACE: namespace, REDIS_CONSUMER: 'w1' },
    });
    const out = outputLines(child);
    await vi.waitFor(() => expect(out.some((l) => l.includes('worker started'))).toBe(true), { timeout: 15_000 });
    await transport.publish('jobs', createEnvelope({ type: 'job', from: 't', payload: 'a' }));
    await transport.publish('jobs', createEnvelope({ type: 'job', from: 't', payload: 'slow' }));
    await vi.waitFor(() => expect(out).toContain('handled "a" attempt 1'), { timeout: 5000 });
    // SIGTERM lands while the slow handler runs.
    await vi.waitFor(() => expect(out).toContain('started "slow"'), { timeout: 5000 });
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    // The slow handler in flight at SIGTERM finished and was acked before exit.
    expect(out).toContain('handled "slow" attempt 1');
    expect(out.some((l) => l.includes('worker stopped'))).toBe(true);
    const stats = await transport.stats('jobs');
    expect(stats.groups[0]!.pending).toBe(0);
  });

  it('with OTEL_EXPORTER_OTLP_ENDPOINT set exports a CONSUMER span continuing the traceparent of the envelope', async () => {
    const url = inject('redisUrl');
    const namespace = uniquePrefix('wtrace');
    const collector = await startOtlpCollector();
    open.push(collector);
    const transport = createRedisTransport({ url, namespace });
    open.push(transport);
    const child = spawnTs(main, ['--topic', 'jobs', '--group', 'g', '--handler', handlerFile, '--port', '0'], {
      env: { ...process.env, REDIS_URL: url, REDIS_NAMESPACE: namespace, OTEL_EXPORTER_OTLP_ENDPOINT: collector.url },
    });
    const out = outputLines(child);
    await vi.waitFor(() => expect(out.some((l) => l.includes('worker started'))).toBe(true), { timeout: 15_000 });
    // As a traced producer in another process would have written it.
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentSpanId = '00f067aa0ba902b7';
    await transport.publish('jobs', createEnvelope({ type: 'job', from: 't', payload: 'traced', traceparent: `00-${traceId}-${parentSpanId}-01` }));
    await vi.waitFor(() => expect(out).toContain('handled "traced" attempt 1'), { timeout: 5000 });
    // The spans are batched: SIGTERM's graceful stop flushes them before exit.
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    expect(collector.requests.every((r) => r.path === '/v1/traces')).toBe(true);
    const handled = collector.spans().filter((s) => s.name === 'process jobs');
    expect(handled).toHaveLength(1);
    expect(handled[0]).toMatchObject({ traceId, parentSpanId, service: 'agentbus-worker' });
  });

  it('bad arguments: exit 1 with one line saying why', async () => {
    const child = spawnTs(main, ['--topic', 'x'], { env: { ...process.env, REDIS_URL: '' } });
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    expect(await exited(child)).toBe(1);
    expect(err.trim()).toBe('agentbus-worker: --group is required (--group or WORKER_GROUP); see --help');
  });

  it('takes its recovery settings and consumer name from flags and env, and logs failures, retries and dead letters', async () => {
    const url = inject('redisUrl');
    const namespace = uniquePrefix('wflags');
    const transport = createRedisTransport({ url, namespace });
    open.push(transport);
    const child = spawnTs(
      main,
      ['--topic', 'jobs', '--group', 'g', '--handler', failingFile, '--port', '0', '--retry-delays', '50ms', '--max-attempts', '2', '--claim-idle', '2s'],
      { env: workerEnv({ REDIS_URL: url, REDIS_NAMESPACE: namespace, WORKER_CONSUMER: 'w-stable', REDIS_CONSUMER: 'ignored', WORKER_REAP_IDLE: '1m' }) },
    );
    const out = outputLines(child);
    await vi.waitFor(() => expect(out.some((l) => l.includes('worker started'))).toBe(true), { timeout: 15_000 });
    const started = jsonLines(out).find((l) => l.msg === 'worker started')!;
    expect(started).toMatchObject({
      level: 'info',
      consumer: 'w-stable',
      claimIdleMs: 2000,
      claimIntervalMs: 5000,
      leaseRenewMs: 666,
      reapIdleMs: 60_000,
      retryDelaysMs: [50],
      maxAttempts: 2,
      maxDeliveries: 5,
    });
    await transport.publish('jobs', createEnvelope({ type: 'job', from: 't', payload: 'always-fails' }));
    await vi.waitFor(() => expect(jsonLines(out).filter((l) => l.msg === 'dead-lettered')).toHaveLength(1), { timeout: 10_000 });
    const msgs = jsonLines(out).map((l) => l.msg).filter((m) => m !== 'worker started');
    expect(msgs).toEqual(['handler failed', 'retry scheduled', 'handler failed', 'dead-lettered']);
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    const stats = await transport.stats('jobs');
    expect(stats.groups[0]!.consumers.map((c) => c.name)).toEqual(['w-stable']);
  });

  it('Redis unreachable at start: one line, keeps retrying, and SIGTERM still stops it cleanly', async () => {
    const port = await freePort();
    const child = spawnTs(main, ['--topic', 'jobs', '--group', 'g', '--handler', handlerFile, '--port', '0'], {
      env: workerEnv({ REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_NAMESPACE: uniquePrefix('wwait') }),
    });
    const out = outputLines(child);
    await vi.waitFor(() => expect(out.some((l) => l.includes('redis unreachable'))).toBe(true), { timeout: 15_000 });
    await new Promise((r) => setTimeout(r, 1500));
    expect(child.exitCode).toBeNull();
    expect(jsonLines(out)).toEqual([expect.objectContaining({ level: 'error', msg: 'redis unreachable', target: `Redis at 127.0.0.1:${port}` })]);
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    expect(jsonLines(out).map((l) => l.msg)).toEqual(['redis unreachable', 'stopping']);
  });

  it('with --start-deadline, exits 1 with one line once it passes', async () => {
    const port = await freePort();
    const child = spawnTs(main, ['--topic', 'jobs', '--group', 'g', '--handler', handlerFile, '--port', '0', '--start-deadline', '1s'], {
      env: workerEnv({ REDIS_URL: `redis://127.0.0.1:${port}` }),
    });
    const out = outputLines(child);
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    expect(await exited(child)).toBe(1);
    expect(jsonLines(out).map((l) => l.msg)).toEqual(['redis unreachable']);
    const lines = err.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^agentbus-worker: Redis at 127\.0\.0\.1:\d+ still unreachable 1000 ms after start .*--start-deadline \/ WORKER_START_DEADLINE/);
  });
});
