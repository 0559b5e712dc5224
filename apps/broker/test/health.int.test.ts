import { afterEach, describe, expect, it } from 'vitest';
import { createBroker, createBrokerClient } from '../src/index';
import { closeAll, makeDeadLetters, opened, redisTransport, startBroker, token } from './helpers';

afterEach(closeAll);

describe('health, metrics, docs, logs', () => {
  it('/health, /health/ready and /health/comprehensive with Redis INFO, topics, lag, breaker and DLQ depth', async () => {
    const reader = token('reader', ['s'], { topics: ['jobs', 'configured'] });
    const ops = token('ops', ['s'], { admin: true });
    const { broker, transport } = startBroker({ auth: { tokens: [reader.config, ops.config] }, topics: ['configured'] });
    await makeDeadLetters(transport, 'jobs', 2);
    const url = await broker.listen(0);
    const client = createBrokerClient({ baseUrl: url, token: reader.secret });
    expect(await client.health.live()).toMatchObject({ status: 'ok' });
    expect(await client.health.ready()).toMatchObject({ status: 'ready', backend: 'redis' });
    const h = await client.health.comprehensive(['jobs']);
    expect(h.status).toBe('degraded');
    expect(h.reasons).toContain('topic jobs: 2 dead letters waiting');
    // Redis INFO (replication peers, config file, keyspace) goes to admin tokens only.
    expect(h.redisInfo).toBeUndefined();
    const admin = await createBrokerClient({ baseUrl: url, token: ops.secret }).health.comprehensive();
    expect(admin.redisInfo?.server?.redis_version).toMatch(/^\d+\.\d+/);
    expect(admin.redisInfo?.memory?.used_memory).toBeDefined();
    expect(h.memory.rss).toBeGreaterThan(0);
    expect(h.breaker.state).toBe('closed');
    expect(h.topics.map((t) => t.topic)).toEqual(['configured', 'jobs']);
    expect(h.topics[1]).toMatchObject({ topic: 'jobs', length: 2, deadLetters: 2, delayedRetries: 0, maxLag: 0, groups: [{ name: 'dl', pending: 0, lag: 0, consumers: 1 }] });
    await expect(client.health.comprehensive(['secret-topic'])).rejects.toMatchObject({ status: 403 });
    await expect(createBrokerClient({ baseUrl: url }).health.comprehensive()).rejects.toMatchObject({ status: 401 });
    const metrics = await client.metrics();
    expect(metrics).toContain('agentbus_dead_letter_depth{topic="jobs"} 2');
    expect(metrics).toContain('agentbus_circuit_breaker_state');
  });

  it('answers not ready (503) and down when Redis does not answer', async () => {
    const transport = redisTransport(undefined, { url: 'redis://127.0.0.1:1', connectTimeoutMs: 300, maxRetriesPerRequest: 0 });
    const broker = createBroker({ transport, auth: false, log: false, topics: ['orders'] });
    opened.push(broker);
    const ready = await broker.app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ status: 'unavailable', backend: 'redis', error: expect.any(String) });
    const full = await broker.app.inject({ method: 'GET', url: '/health/comprehensive' });
    expect(full.statusCode).toBe(503);
    expect(full.json()).toMatchObject({ status: 'down', topics: [{ topic: 'orders', error: 'backend down' }] });
    const url = await broker.listen(0);
    expect(await createBrokerClient({ baseUrl: url }).health.ready()).toMatchObject({ status: 'unavailable' });
  });

  it('serves an OpenAPI 3.1 document of every route at /docs/openapi.json and a page at /docs', async () => {
    const { broker } = startBroker();
    const doc = (await broker.app.inject({ method: 'GET', url: '/docs/openapi.json' })).json<{
      openapi: string;
      paths: Record<string, Record<string, { security: unknown[]; requestBody?: unknown; responses: Record<string, unknown>; parameters: Array<{ name: string; in: string }> }>>;
      components: { schemas: Record<string, unknown> };
    }>();
    expect(doc.openapi).toBe('3.1.0');
    const routes = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    for (const r of [
      'POST /v1/topics/{topic}/messages',
      'POST /v1/channels/{channel}/publish',
      'GET /v1/topics/{topic}',
      'GET /v1/topics/{topic}/dlq',
      'POST /v1/topics/{topic}/dlq/replay',
      'DELETE /v1/topics/{topic}/dlq',
      'POST /v1/topics/{topic}/trim',
      'POST /v1/swarm/tasks/{id}/claim',
      'GET /v1/swarm/tasks/{id}/conflicts',
      'PUT /v1/swarm/registries/{swarm}/allowlist',
      'POST /v1/swarm/remediation',
      'GET /health/comprehensive',
      'GET /metrics',
    ]) {
      expect(routes).toContain(r);
    }
    const publish = doc.paths['/v1/topics/{topic}/messages']!.post!;
    expect(publish.security).toEqual([{ bearer: [] }]);
    expect(publish.requestBody).toBeDefined();
    expect(Object.keys(publish.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '403', '413', '429', '503']));
    expect(publish.parameters.map((p) => `${p.in}:${p.name}`)).toEqual(['path:topic', 'query:partitionKey', 'query:dedupeWindowMs']);
    expect(doc.paths['/health']!.get!.security).toEqual([]);
    // Every $ref points at something the document has.
    const text = JSON.stringify(doc);
    const refs = [...text.matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
    // A document with no $ref at all would pass the loop below by doing nothing.
    expect(refs.length).toBeGreaterThan(0);
    for (const name of refs) expect(doc.components.schemas[name], name).toBeDefined();
    expect(text).not.toContain('#/$defs');
    const page = await broker.app.inject({ method: 'GET', url: '/docs' });
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('/v1/swarm/tasks/{id}/claim');
    expect(broker.openapi()).toBe(broker.openapi());
  });

  it('logs JSON lines with the request id and the trace ids of the traceparent', async () => {
    const lines: string[] = [];
    const { broker } = startBroker({ log: { level: 'info', stream: { write: (l: string) => void lines.push(l) } } });
    await broker.app.inject({
      method: 'POST',
      url: '/v1/topics/orders/messages',
      headers: { 'x-request-id': 'req-42', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
      payload: { type: 'x', from: 'a', payload: 1 },
    });
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.find((r) => r.msg === 'AUTH IS OFF: every request may publish, read and change everything as any agent. Dev mode only; set BROKER_TOKENS_FILE for a real broker')).toMatchObject({ level: 40 });
    const published = records.find((r) => r.msg === 'published');
    expect(published).toMatchObject({ reqId: 'req-42', trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7', topic: 'orders' });
    const bad = await broker.app.inject({ method: 'GET', url: '/v1/topics/orders/dlq?count=x', headers: { 'x-request-id': 'has spaces' } });
    expect(bad.headers['x-request-id']).not.toBe('has spaces');
    expect(bad.json().requestId).toBe(bad.headers['x-request-id']);
  });
});
