import { afterEach, describe, expect, it, vi } from 'vitest';
import { startRedis, type RedisServer } from '@agentbus/test-utils';
import { createBroker, type Broker, type BrokerOptions } from '../src/index';
import { closeAll, expectErrorContract, opened, redisTransport, type RawResponse } from './helpers';

afterEach(closeAll);

type Call = [method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown];

/** One request of each kind that needs Redis. */
const CALLS: Call[] = [
  ['POST', '/v1/topics/orders/messages', { type: 'x', from: 'a', payload: 1 }],
  ['POST', '/v1/channels/alerts/publish', { type: 'x', from: 'a', payload: 1 }],
  ['GET', '/v1/topics/orders'],
  ['GET', '/v1/topics/orders/dlq'],
  ['POST', '/v1/swarm/tasks', { description: 'd', type: 't' }],
  ['GET', '/v1/swarm/tasks/t-1'],
  ['GET', '/v1/swarm/tasks'],
  ['POST', '/v1/swarm/tasks/t-1/claim', { agent_id: 'w' }],
  ['POST', '/v1/swarm/tasks/claim-next', { agent_id: 'w' }],
  ['POST', '/v1/swarm/findings', { worker_id: 'w', claim: 'c', confidence: 0.5 }],
  ['PATCH', '/v1/swarm/contexts/dev/run', { notes: 'n' }],
  ['GET', '/v1/swarm/registries/dev'],
  ['PUT', '/v1/swarm/registries/dev/allowlist', ['x']],
];

/** The answer within `ms`, or a failure saying the broker hung. */
async function within(ms: number, request: Promise<RawResponse>, what: string): Promise<RawResponse & { tookMs: number }> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return { ...(await Promise.race([request, hung])), tookMs: Date.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

function brokerOn(url: string, options: Omit<BrokerOptions, 'transport'> = {}, healthTimeoutMs?: number): Broker {
  const transport = redisTransport(undefined, { url, ...(healthTimeoutMs === undefined ? {} : { healthTimeoutMs }) });
  const broker = createBroker({ auth: false, log: false, ...options, transport });
  opened.push(broker);
  return broker;
}

/** Every call answers 503 in the error contract, with Retry-After, within `ms`, and names no address. */
async function expectAll503(broker: Broker, ms: number, address: string): Promise<void> {
  for (const [method, url, payload] of CALLS) {
    const r = await within(ms, broker.app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }) }), `${method} ${url}`);
    expect(r.statusCode, `${method} ${url}: ${r.body}`).toBe(503);
    expect(r.headers['retry-after'], url).toBeDefined();
    // A request racing the loss of the connection may reach Redis and end as a timed-out write.
    expect(expectErrorContract(r, url).error, url).toMatch(/^(CONNECTION_FAILED|TIMEOUT|INDETERMINATE)$/);
    expect(r.body, url).not.toContain(address);
    expect(r.body, url).not.toMatch(/Redis at/);
  }
}

describe('with Redis down the broker answers 503 at once and names no address (issue 12)', () => {
  it('Redis unreachable from the start: every route 503 within the backend timeout; /health/ready names no host:port', async () => {
    const broker = brokerOn('redis://127.0.0.1:1');
    await expectAll503(broker, 2_500, '127.0.0.1:1');
    const ready = await within(3_000, broker.app.inject({ method: 'GET', url: '/health/ready' }), 'ready');
    expect(ready.statusCode).toBe(503);
    expect(ready.headers['retry-after']).toBe('1');
    expect(JSON.parse(ready.body)).toMatchObject({ status: 'unavailable', error: expect.any(String) });
    expect(ready.body).not.toContain('127.0.0.1');
    expect(ready.body).not.toMatch(/Redis at/);
    const full = await within(3_000, broker.app.inject({ method: 'GET', url: '/health/comprehensive' }), 'comprehensive');
    expect(full.statusCode).toBe(503);
    expect(full.body).not.toContain('127.0.0.1');
    expect((await broker.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
  });

  describe('on a Redis of its own', () => {
    let server: RedisServer | undefined;
    afterEach(async () => {
      await server?.kill('SIGCONT').catch(() => undefined);
      await server?.stop();
      server = undefined;
    });

    it('Redis that dies answers 503 at once, and the broker serves again once it is back', async () => {
      server = await startRedis();
      const broker = brokerOn(server.url);
      const publish = () => broker.app.inject({ method: 'POST', url: '/v1/topics/orders/messages', payload: { type: 'x', from: 'a', payload: 1 } });
      expect((await publish()).statusCode).toBe(201);
      await server.kill();
      await expectAll503(broker, 2_500, `:${server.port}`);
      await server.restart();
      await vi.waitFor(async () => expect((await publish()).statusCode).toBe(201), { timeout: 15_000, interval: 200 });
    });

    it('Redis that hangs (SIGSTOP) answers 503 within the backend timeout plus one health probe', async () => {
      server = await startRedis();
      const broker = brokerOn(server.url, { backendTimeoutMs: 500 }, 500);
      expect((await broker.app.inject({ method: 'POST', url: '/v1/swarm/tasks', payload: { description: 'd', type: 't' } })).statusCode).toBe(201);
      await server.kill('SIGSTOP');
      const r = await within(2_500, broker.app.inject({ method: 'POST', url: '/v1/topics/orders/messages', payload: { type: 'x', from: 'a', payload: 1 } }), 'publish');
      expect(r.statusCode).toBe(503);
      expect(expectErrorContract(r).reason).toMatch(/backendTimeoutMs/);
      expect(r.body).not.toContain(`:${server.port}`);
      await server.kill('SIGCONT');
      await vi.waitFor(async () => expect((await broker.app.inject({ method: 'GET', url: '/v1/topics/orders' })).statusCode).toBe(200), { timeout: 10_000, interval: 200 });
    });
  });
});
