import { afterEach, describe, expect, it, vi } from 'vitest';
import { createEnvelope, type Envelope } from '@agentbus/schema';
import { createBrokerClient, BrokerRequestError } from '../src/index';
import { closeAll, makeDeadLetters, startBroker } from './helpers';

afterEach(closeAll);

describe('messages over HTTP (fastify.inject, real Redis)', () => {
  it('publishes built and whole envelopes to a topic and reports its stats', async () => {
    const { broker, transport } = startBroker();
    const built = await broker.app.inject({
      method: 'POST',
      url: '/v1/topics/orders/messages?partitionKey=c-1',
      headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
      payload: { type: 'order', from: 'shop', payload: { id: 7 }, priority: 'high' },
    });
    expect(built.statusCode).toBe(201);
    expect(built.headers['x-request-id']).toBeTruthy();
    const r = built.json<{ id: string; streamId: string; topic: string; duplicate: boolean }>();
    expect(r).toMatchObject({ topic: 'orders', duplicate: false });
    const whole = createEnvelope({ type: 'order', from: 'shop', payload: { id: 8 } });
    const second = await broker.app.inject({ method: 'POST', url: '/v1/topics/orders/messages', payload: whole });
    expect(second.statusCode).toBe(201);
    expect(second.json()).toMatchObject({ id: whole.id });

    const stats = await broker.app.inject({ method: 'GET', url: '/v1/topics/orders' });
    expect(stats.statusCode).toBe(200);
    expect(stats.json()).toMatchObject({ topic: 'orders', length: 2 });
    // What the broker wrote is what a consumer reads, traceparent carried from the request.
    const seen: Envelope[] = [];
    const c = transport.consume('orders', (env) => void seen.push(env), { group: 'g', blockMs: 50 });
    await vi.waitFor(() => expect(seen).toHaveLength(2));
    await c.close();
    expect(seen.find((e) => e.id === r.id)).toMatchObject({ from: 'shop', priority: 'high', payload: { id: 7 }, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    const after = (await broker.app.inject({ method: 'GET', url: '/v1/topics/orders' })).json<{ groups: Array<{ name: string; pending: number; lag: number }> }>();
    expect(after.groups[0]).toMatchObject({ name: 'g', pending: 0, lag: 0 });
  });

  it('publishes to a Pub/Sub channel and says how many subscribers got it', async () => {
    const { broker, transport } = startBroker();
    const got: Envelope[] = [];
    const sub = transport.pubsub.subscribe('alerts', (env) => void got.push(env));
    await sub.ready();
    const res = await broker.app.inject({ method: 'POST', url: '/v1/channels/alerts/publish', payload: { type: 'alert', from: 'ops', payload: 'disk full' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ channel: 'alerts', receivers: 1 });
    await vi.waitFor(() => expect(got.map((e) => e.payload)).toEqual(['disk full']));
    await sub.unsubscribe();
  });

  it('lists, shows, replays and purges dead letters, and trims', async () => {
    const { broker, transport } = startBroker();
    const ids = await makeDeadLetters(transport, 'jobs', 4);
    const list = await broker.app.inject({ method: 'GET', url: '/v1/topics/jobs/dlq?count=10' });
    expect(list.statusCode).toBe(200);
    const body = list.json<{ depth: number; items: Array<{ id: string; reason: string; envelopeId: string }> }>();
    expect(body.depth).toBe(4);
    expect(body.items.map((d) => d.envelopeId)).toEqual(ids);
    expect(body.items[0]!.reason).toBe('handler-error');
    const one = await broker.app.inject({ method: 'GET', url: `/v1/topics/jobs/dlq/${body.items[0]!.id}` });
    expect(one.json()).toMatchObject({ id: body.items[0]!.id, error: 'bad job' });
    expect((await broker.app.inject({ method: 'GET', url: '/v1/topics/jobs/dlq/1-1' })).statusCode).toBe(404);

    const replay = await broker.app.inject({ method: 'POST', url: '/v1/topics/jobs/dlq/replay', payload: { ids: [body.items[0]!.id], destination: 'jobs-v2' } });
    expect(replay.json()).toEqual({ replayed: 1, skipped: [] });
    expect((await transport.stats('jobs-v2')).length).toBe(1);
    const range = await broker.app.inject({ method: 'POST', url: '/v1/topics/jobs/dlq/replay', payload: { count: 1 } });
    expect(range.json()).toMatchObject({ replayed: 1 });
    const purgeOne = await broker.app.inject({ method: 'DELETE', url: `/v1/topics/jobs/dlq?ids=${body.items[2]!.id}` });
    expect(purgeOne.json()).toEqual({ purged: 1 });
    expect((await broker.app.inject({ method: 'DELETE', url: '/v1/topics/jobs/dlq' })).statusCode).toBe(400);
    expect((await broker.app.inject({ method: 'DELETE', url: '/v1/topics/jobs/dlq?all=true' })).json()).toEqual({ purged: 1 });
    const all = await broker.app.inject({ method: 'POST', url: '/v1/topics/jobs/dlq/replay', payload: { all: true } });
    expect(all.json()).toEqual({ replayed: 0, skipped: [] });

    // 4 originals acked by the group (the replayed one went to the group's inbox): a hard cap of 1 keeps one.
    const trim = await broker.app.inject({ method: 'POST', url: '/v1/topics/jobs/trim', payload: { hardMaxLen: 1 } });
    expect(trim.statusCode).toBe(200);
    expect(trim.json<{ trimmed: number }>().trimmed).toBe(3);
    const policy = await broker.app.inject({ method: 'POST', url: '/v1/topics/jobs/trim', payload: {} });
    expect(policy.json()).toMatchObject({ trimmed: 0 });
  });

  it('serves the same over a real port to the typed client', async () => {
    const { broker, transport } = startBroker();
    const url = await broker.listen(0);
    const client = createBrokerClient({ baseUrl: `${url}/` });
    const p = await client.publish('events', { type: 'evt', from: 'a', payload: 1 }, { partitionKey: 'k', dedupeWindowMs: 60_000 });
    const again = await client.publish('events', { type: 'evt', from: 'a', payload: 1, id: p.id }, { dedupeWindowMs: 60_000 });
    expect(again).toMatchObject({ id: p.id, duplicate: true });
    expect((await client.stats('events')).length).toBe(1);
    expect((await client.publishToChannel('events', { type: 'evt', from: 'a', payload: 2 })).receivers).toBe(0);
    const ids = await makeDeadLetters(transport, 'work', 2);
    const dl = await client.dlq.list('work', { count: 5 });
    expect(dl.items.map((d) => d.envelopeId)).toEqual(ids);
    expect((await client.dlq.get('work', dl.items[0]!.id)).reason).toBe('handler-error');
    expect(await client.dlq.replay('work', { ids: [dl.items[0]!.id] })).toEqual({ replayed: 1, skipped: [] });
    expect(await client.dlq.purge('work', { ids: [dl.items[1]!.id] })).toEqual({ purged: 1 });
    expect(await client.dlq.purge('work', 'all')).toEqual({ purged: 0 });
    expect(await client.trim('work', { maxLen: 100 })).toEqual({ trimmed: 0, droppedUnacked: 0 });
    const err = await client.dlq.get('work', '9-9').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrokerRequestError);
    expect(err).toMatchObject({ status: 404, code: 'NOT_FOUND', retryable: false });
    expect(await client.metrics()).toContain('agentbus_stream_length{topic="events"} 1');
    const down = createBrokerClient({ baseUrl: 'http://127.0.0.1:1', timeoutMs: 2_000 });
    await expect(down.health.live()).rejects.toMatchObject({ status: 0, code: 'CONNECTION_FAILED', retryable: true });
  });
});
