import { afterEach, describe, expect, it, vi } from 'vitest';
import { AgentbusError, createEnvelope, ERROR_CODES } from '@agentbus/schema';
import { createRedisTransport } from '@agentbus/transport';
import { freePort, startRedis, uniquePrefix, type RedisServer } from '@agentbus/test-utils';
import { createWorker, type Worker, type WorkerLogLevel } from '../src/index';

interface Line {
  level: WorkerLogLevel;
  msg: string;
  [field: string]: unknown;
}

let server: RedisServer | undefined;
const open: Array<{ close(): Promise<void> } | Worker> = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await ('stop' in o ? o.stop() : o.close()).catch(() => undefined);
  await server?.stop();
  server = undefined;
});


async function probe(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function capture() {
  const lines: Line[] = [];
  return {
    lines,
    log: (level: WorkerLogLevel, msg: string, fields: Record<string, unknown> = {}) => void lines.push({ level, msg, ...fields }),
    of: (msg: string) => lines.filter((l) => l.msg === msg),
  };
}

const base = { topic: 'jobs', group: 'g', concurrency: 4, host: '127.0.0.1', stopDeadlineMs: 2000, claimIdleMs: 1000, claimIntervalMs: 250 };

describe('Redis unreachable or lost', () => {
  it('unreachable at start: one line, not ready, keeps retrying, then starts once Redis answers', async () => {
    server = await startRedis();
    await server.kill();
    const namespace = uniquePrefix('wstart');
    const port = await freePort();
    const { log, of, lines } = capture();
    const handled: unknown[] = [];
    const starting = createWorker({
      ...base,
      port,
      env: { REDIS_URL: server.url, REDIS_NAMESPACE: namespace },
      log,
      handler: (env) => void handled.push(env.payload),
    });
    starting.then((w) => open.push(w), () => undefined);
    await vi.waitFor(() => expect(of('redis unreachable')).toHaveLength(1), { timeout: 5000 });
    expect(of('redis unreachable')[0]).toMatchObject({ level: 'error', target: `Redis at 127.0.0.1:${server.port}`, error: expect.stringMatching(/ECONNREFUSED/) });
    const ready = await probe(`http://127.0.0.1:${port}/health/ready`);
    expect(ready).toMatchObject({ status: 503, body: { status: 'unavailable', redis: 'down' } });
    // Alive (a restart would not bring Redis back), and says what it waits for.
    expect(await probe(`http://127.0.0.1:${port}/health`)).toMatchObject({ status: 200, body: { status: 'starting', redis: 'down' } });
    await new Promise((r) => setTimeout(r, 1500));
    // Still one line however many reconnect attempts failed meanwhile.
    expect(lines.filter((l) => l.level === 'error')).toHaveLength(1);

    await server.restart();
    const worker = await starting;
    expect(of('redis connected')).toHaveLength(1);
    expect(of('redis connected')[0]!.downMs).toBeGreaterThan(1000);
    expect((await probe(`${worker.url}/health/ready`)).status).toBe(200);
    const transport = createRedisTransport({ url: server.url, namespace });
    open.push(transport);
    await transport.publish('jobs', createEnvelope({ type: 'job', from: 't', payload: 'after' }));
    await vi.waitFor(() => expect(handled).toEqual(['after']), { timeout: 5000 });
  });

  it('lost while running: one line at the loss, one at the recovery, readiness down meanwhile, and it consumes again', async () => {
    // Persistent, as a production Redis is: its streams and groups survive the restart.
    server = await startRedis('durable');
    const namespace = uniquePrefix('wloss');
    const { log, of, lines } = capture();
    const handled: unknown[] = [];
    const worker = await createWorker({
      ...base,
      port: 0,
      env: { REDIS_URL: server.url, REDIS_NAMESPACE: namespace },
      log,
      handler: (env) => void handled.push(env.payload),
    });
    open.push(worker);
    expect(of('redis connected')).toHaveLength(0);
    expect(await probe(`${worker.url}/health/ready`)).toMatchObject({ status: 200, body: { status: 'ready', redis: 'up' } });

    await server.kill();
    await vi.waitFor(() => expect(of('redis connection lost')).toHaveLength(1), { timeout: 5000 });
    expect(of('redis connection lost')[0]).toMatchObject({ level: 'error', target: `Redis at 127.0.0.1:${server.port}` });
    const down = await probe(`${worker.url}/health/ready`);
    expect(down).toMatchObject({ status: 503, body: { status: 'unavailable', redis: 'down' } });
    expect((await probe(`${worker.url}/health`)).body).toEqual({ status: 'ok', redis: 'down' });
    await new Promise((r) => setTimeout(r, 2000));

    await server.restart();
    await vi.waitFor(() => expect(of('redis connection restored')).toHaveLength(1), { timeout: 10_000 });
    expect(of('redis connection restored')[0]).toMatchObject({ level: 'info' });
    expect(of('redis connection restored')[0]!.downMs).toBeGreaterThan(1500);
    await vi.waitFor(async () => expect((await probe(`${worker.url}/health/ready`)).status).toBe(200), { timeout: 5000 });
    const transport = createRedisTransport({ url: server.url, namespace });
    open.push(transport);
    await transport.publish('jobs', createEnvelope({ type: 'job', from: 't', payload: 'after the outage' }));
    await vi.waitFor(() => expect(handled).toContain('after the outage'), { timeout: 10_000 });
    // The outage is those two lines: the consumer's own retries during it were not logged one by one.
    expect(lines.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual(['redis connection lost']);
  });

  it('with a start deadline, gives up with one error naming the setting', async () => {
    server = await startRedis();
    await server.kill();
    const { log } = capture();
    const started = Date.now();
    const error = await createWorker({
      ...base,
      port: 0,
      startDeadlineMs: 600,
      env: { REDIS_URL: server.url, REDIS_NAMESPACE: uniquePrefix('wdeadline') },
      log,
      handler: () => undefined,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentbusError);
    expect((error as AgentbusError).code).toBe(ERROR_CODES.CONNECTION_FAILED);
    expect((error as AgentbusError).message).toMatch(
      new RegExp(`^Redis at 127\\.0\\.0\\.1:${server.port} still unreachable 600 ms after start \\(.*ECONNREFUSED.*\\); raise --start-deadline / WORKER_START_DEADLINE \\(0 = keep retrying\\) or check REDIS_URL$`),
    );
    // Gave up at its deadline, not after ioredis's own retries (tens of seconds); loose for a loaded box.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('stopped while waiting for Redis: rejects with CLOSED and frees its port', async () => {
    server = await startRedis();
    await server.kill();
    const port = await freePort();
    const abort = new AbortController();
    const starting = createWorker({
      ...base,
      port,
      signal: abort.signal,
      env: { REDIS_URL: server.url, REDIS_NAMESPACE: uniquePrefix('wabort') },
      log: () => undefined,
      handler: () => undefined,
    });
    await vi.waitFor(async () => expect((await probe(`http://127.0.0.1:${port}/health`)).status).toBe(200), { timeout: 5000 });
    abort.abort();
    await expect(starting).rejects.toMatchObject({ code: ERROR_CODES.CLOSED });
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });
});
