import { afterEach, describe, expect, it } from 'vitest';
import { createCircuitBreaker } from '@agentbus/reliability';
import { createBrokerClient } from '../src/index';
import { bearer, closeAll, startBroker, token } from './helpers';

afterEach(closeAll);

describe('request validation and limits', () => {
  it('400 names the failing path of a body, query or params; nothing is written', async () => {
    const { broker, transport } = startBroker();
    const bad = async (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) => {
      const r = await broker.app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }) });
      expect(r.statusCode, url).toBe(400);
      return r.json<{ error: string; reason: string; path: string; issues: Array<{ path: string }> }>();
    };
    const finding = await bad('POST', '/v1/swarm/findings', { claim: 'c', confidence: 1.5, worker_id: 'w', citations: ['not a uri'] });
    expect(finding).toMatchObject({ error: 'INVALID_MESSAGE', path: 'body.confidence', reason: 'body.confidence: must be between 0 and 1 (+1 more)' });
    expect(finding.issues.map((i) => i.path)).toEqual(['body.confidence', 'body.citations.0']);
    expect((await bad('POST', '/v1/topics/orders/messages', { type: 'x', from: 'a' })).path).toBe('body.payload');
    expect((await bad('POST', '/v1/topics/orders/messages', { type: 'x', from: 'a', payload: 1, priority: 'asap' })).path).toBe('body.priority');
    // A whole envelope with one bad field is judged as an envelope, not as the short form.
    const env = { id: '01a20818-6ebd-7007-b5a2-db880b54d1c6', type: 'x', from: 'a', to: 'b', act: 'inform', payload: 1, ts: -5, priority: 'normal', v: 1 };
    expect((await bad('POST', '/v1/topics/orders/messages', env)).path).toBe('body.ts');
    expect((await bad('POST', '/v1/topics/orders/messages', { type: 'x', payload: 1 })).reason).toMatch(/from is required when the broker runs without auth/);
    expect((await bad('POST', '/v1/topics/bad%20topic/messages', { type: 'x', from: 'a', payload: 1 })).path).toBe('params.topic');
    expect((await bad('GET', '/v1/topics/orders/dlq?count=0')).path).toBe('query.count');
    expect((await bad('GET', '/v1/swarm/tasks?status=sleeping')).path).toMatch(/^query\.status/);
    expect((await bad('POST', '/v1/topics/orders/dlq/replay', { ids: ['1-0'], all: true })).reason).toMatch(/exactly one of ids, all: true, or a range/);
    expect((await bad('POST', '/v1/topics/orders/trim', { maxLen: -1 })).path).toBe('body.maxLen');
    const notJson = await broker.app.inject({ method: 'POST', url: '/v1/swarm/tasks/t1/claim', headers: { 'content-type': 'application/json' }, payload: '{not json' });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json()).toMatchObject({ error: 'INVALID_MESSAGE', path: 'body' });
    expect((await transport.stats('orders')).length).toBe(0);
    const unknown = await broker.app.inject({ method: 'GET', url: '/v2/nothing' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().reason).toMatch(/no route GET \/v2\/nothing/);
    const media = await broker.app.inject({ method: 'POST', url: '/v1/topics/orders/messages', headers: { 'content-type': 'text/csv' }, payload: 'a,b' });
    expect(media.statusCode).toBe(415);
  });

  it('413 for a body over the limit', async () => {
    const { broker, transport } = startBroker({ bodyLimitBytes: 4_096 });
    const big = await broker.app.inject({ method: 'POST', url: '/v1/topics/orders/messages', payload: { type: 'x', from: 'a', payload: 'x'.repeat(10_000) } });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ error: 'PAYLOAD_TOO_LARGE' });
    expect((await transport.stats('orders')).length).toBe(0);
    expect((await broker.app.inject({ method: 'POST', url: '/v1/topics/orders/messages', payload: { type: 'x', from: 'a', payload: 'small' } })).statusCode).toBe(201);
  });

  it('429 with Retry-After past a token\'s publish rate, per token', async () => {
    const fast = token('fast', ['s'], { rateLimit: { capacity: 3, refillPerSecond: 0.5 } });
    const other = token('other', ['s']);
    const { broker } = startBroker({ auth: { tokens: [fast.config, other.config] }, rateLimit: { capacity: 100, refillPerSecond: 10 } });
    const send = (t: typeof fast) => broker.app.inject({ method: 'POST', url: '/v1/topics/orders/messages', headers: bearer(t), payload: { type: 'x', payload: 1 } });
    for (let i = 0; i < 3; i++) expect((await send(fast)).statusCode).toBe(201);
    const limited = await send(fast);
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(limited.json()).toMatchObject({ error: 'RATE_LIMITED', retryAfterMs: expect.any(Number) });
    expect((await send(other)).statusCode).toBe(201);
    const metrics = await broker.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain('agentbus_rate_limit_rejections_total{operation="publish"} 1');
    const url = await broker.listen(0);
    const err = await createBrokerClient({ baseUrl: url, token: fast.secret }).publish('orders', { type: 'x', payload: 1 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 429, code: 'RATE_LIMITED', retryable: true, retryAfterMs: expect.any(Number) });
  });

  it('503 with Retry-After under back-pressure (topic over its budget) and with the circuit open', async () => {
    const breaker = createCircuitBreaker({ minimumCalls: 1, failureRateThreshold: 0.5, openMs: 30_000 });
    const { broker, transport } = startBroker({ breaker });
    transport.defineTopic('tight', { maxBacklog: 2 });
    const send = (topic: string) => broker.app.inject({ method: 'POST', url: `/v1/topics/${topic}/messages`, payload: { type: 'x', from: 'a', payload: 1 } });
    expect((await send('tight')).statusCode).toBe(201);
    expect((await send('tight')).statusCode).toBe(201);
    const full = await send('tight');
    expect(full.statusCode).toBe(503);
    expect(full.headers['retry-after']).toBeDefined();
    expect(full.json()).toMatchObject({ error: 'BACKPRESSURE', reason: expect.stringMatching(/maxBacklog/), retryAfterMs: expect.any(Number) });
    expect((await transport.stats('tight')).length).toBe(2);
    // Back-pressure is the caller's problem, not Redis failing: the breaker stays closed.
    expect(breaker.state()).toBe('closed');

    // Two successes are in the window: three failures make the rate 3/5 >= 0.5.
    for (let i = 0; i < 3; i++) await breaker.run(() => Promise.reject(new Error('redis went away'))).catch(() => undefined);
    expect(breaker.state()).toBe('open');
    const open = await send('orders');
    expect(open.statusCode).toBe(503);
    expect(open.json()).toMatchObject({ error: 'CIRCUIT_OPEN' });
    expect(Number(open.headers['retry-after'])).toBeGreaterThan(1);
    const health = await broker.app.inject({ method: 'GET', url: '/health/comprehensive' });
    expect(health.json()).toMatchObject({ status: 'degraded', breaker: { state: 'open' } });
  });
});
