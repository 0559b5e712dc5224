import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createBroker } from '../src/index';
import { closeAll, expectErrorContract, startBroker } from './helpers';

afterEach(closeAll);

/** `depth` arrays inside each other, as JSON text: `[[[...]]]`. */
const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('hostile input never crashes the broker (issue 12)', () => {
  it('a JSON body nested past maxJsonDepth gets 400 naming the limit, on every route, before anything recurses into it', async () => {
    const { broker, transport } = startBroker();
    const post = (method: 'POST' | 'PATCH' | 'PUT', url: string, json: string) =>
      broker.app.inject({ method, url, headers: { 'content-type': 'application/json' }, payload: json });
    const deep = nested(10_000);
    for (const [method, url, json] of [
      ['POST', '/v1/topics/orders/messages', `{"type":"x","from":"a","payload":${deep}}`],
      ['POST', '/v1/channels/alerts/publish', `{"type":"x","from":"a","payload":{"a":${deep}}}`],
      ['POST', '/v1/swarm/tasks', `{"description":"d","type":"t","data":{"deep":${deep}}}`],
      ['PATCH', '/v1/swarm/contexts/dev/run', `{"shared_data":{"deep":${deep}}}`],
      ['POST', '/v1/swarm/registries/dev/agents', `{"id":"a","role":"r","extra":${deep}}`],
      ['PUT', '/v1/swarm/registries/dev/allowlist', deep],
    ] as const) {
      const r = await post(method, url, json);
      expect(r.statusCode, url).toBe(400);
      const body = expectErrorContract(r, url);
      expect(body).toMatchObject({ error: 'INVALID_MESSAGE', path: 'body' });
      expect(body.reason, url).toMatch(/nested deeper than 64 levels.*maxJsonDepth/);
    }
    expect((await transport.stats('orders')).length).toBe(0);
    // Within the limit, nesting is fine.
    expect((await post('POST', '/v1/topics/orders/messages', `{"type":"x","from":"a","payload":${nested(60)}}`)).statusCode).toBe(201);

    const { broker: tight } = startBroker({ maxJsonDepth: 8 });
    const r = await tight.app.inject({ method: 'POST', url: '/v1/topics/orders/messages', headers: { 'content-type': 'application/json' }, payload: `{"type":"x","from":"a","payload":${nested(8)}}` });
    expect(r.statusCode).toBe(400);
    expect(r.json().reason).toMatch(/deeper than 8 levels/);
    expect(() => createBroker({ auth: false, log: false, maxJsonDepth: 100_000 })).toThrow(/invalid broker option maxJsonDepth/);
  });

  it('a string that is not well-formed UTF-16 (a lone surrogate) gets 400 naming the field, before it reaches Lua', async () => {
    const { broker, transport } = startBroker();
    const call = (url: string, payload: object) => broker.app.inject({ method: 'POST', url, payload });
    const task = (await call('/v1/swarm/tasks', { description: 'd', type: 't' })).json<{ id: string }>();
    expect((await call(`/v1/swarm/tasks/${task.id}/claim`, { agent_id: 'w1' })).statusCode).toBe(200);
    for (const [action, body, path] of [
      ['complete', { agent_id: 'w1', result: 'a\ud83db' }, 'body.result'],
      ['fail', { agent_id: 'w1', error: '\udc00' }, 'body.error'],
      ['escalate', { agent_id: 'w1', reason: 'why\ud800' }, 'body.reason'],
    ] as const) {
      const r = await call(`/v1/swarm/tasks/${task.id}/${action}`, body);
      expect(r.statusCode, action).toBe(400);
      expect(expectErrorContract(r, action)).toMatchObject({ error: 'INVALID_MESSAGE', path, reason: expect.stringMatching(/UTF-16/) });
    }
    const published = await call('/v1/topics/orders/messages', { type: 'x', from: 'a', payload: { items: [{ note: 'ok' }, { note: 'x\udfff' }] } });
    expect(published.json()).toMatchObject({ path: 'body.payload.items.1.note' });
    expect((await call('/v1/topics/orders/messages', { type: 'x', from: 'a', payload: { ['k\ud83d']: 1 } })).json()).toMatchObject({ path: 'body.payload' });
    expect((await transport.stats('orders')).length).toBe(0);
    // Nothing was written: the task is still claimed, and well-formed text (a real pair) completes it.
    expect((await broker.app.inject({ method: 'GET', url: `/v1/swarm/tasks/${task.id}` })).json()).toMatchObject({ status: 'in_progress' });
    const done = await call(`/v1/swarm/tasks/${task.id}/complete`, { agent_id: 'w1', result: 'done \ud83d\ude00' });
    expect(done.json()).toMatchObject({ status: 'completed', result: 'done 😀' });
  });

  it('path parameters as long as the documented limits are served (a 200-character topic, 512-character ids)', async () => {
    const { broker } = startBroker();
    const call = (method: 'GET' | 'POST', url: string, payload?: object) => broker.app.inject({ method, url, ...(payload ? { payload } : {}) });
    const topic = `t${'x'.repeat(199)}`;
    expect((await call('POST', `/v1/topics/${topic}/messages`, { type: 'x', from: 'a', payload: 1 })).statusCode).toBe(201);
    expect((await call('GET', `/v1/topics/${topic}`)).json()).toMatchObject({ topic, length: 1 });
    expect((await call('GET', `/v1/topics/${topic}/dlq`)).statusCode).toBe(200);
    const tooLong = await call('GET', `/v1/topics/${topic}x`);
    expect(tooLong.statusCode).toBe(400);
    expect(expectErrorContract(tooLong)).toMatchObject({ path: 'params.topic' });

    const id = `task-${'i'.repeat(507)}`;
    expect((await call('POST', '/v1/swarm/tasks', { id, description: 'd', type: 't' })).statusCode).toBe(201);
    expect((await call('GET', `/v1/swarm/tasks/${id}`)).json()).toMatchObject({ id });
    expect((await call('POST', `/v1/swarm/tasks/${id}/claim`, { agent_id: 'w' })).json()).toMatchObject({ id, assignee: 'w' });
    expect((await call('GET', `/v1/swarm/tasks/${id}/findings`)).statusCode).toBe(200);
    expect((await call('GET', `/v1/swarm/tasks/${id}x`)).json()).toMatchObject({ path: 'params.id' });
    // 512 characters of 3 UTF-8 bytes each: 4,608 characters percent-encoded.
    const channel = '\u20ac'.repeat(512);
    const r = await call('POST', `/v1/channels/${encodeURIComponent(channel)}/publish`, { type: 'x', from: 'a', payload: 1 });
    expect(r.json()).toMatchObject({ channel });
  });

  it('router-level errors (a bad escape, an over-long parameter) answer in the error contract', async () => {
    const { broker } = startBroker();
    const badEscape = await broker.app.inject({ method: 'GET', url: '/v1/topics/%zz', headers: { 'x-request-id': 'req-bad-url' } });
    expect(badEscape.statusCode).toBe(400);
    expect(expectErrorContract(badEscape)).toMatchObject({ error: 'INVALID_MESSAGE', requestId: 'req-bad-url', reason: expect.stringMatching(/percent-encoding/) });
    const long = await broker.app.inject({ method: 'GET', url: `/v1/swarm/tasks/${'a'.repeat(5_000)}` });
    expect(long.statusCode).toBe(414);
    expect(expectErrorContract(long)).toMatchObject({ error: 'INVALID_MESSAGE', reason: expect.stringMatching(/longer than 4608 characters/) });
    expect(long.body).not.toContain('Bad Request');
    const lone = await broker.app.inject({ method: 'GET', url: '/v1/swarm/tasks/%ED%A0%BD' });
    expect(lone.statusCode).toBe(400);
    expectErrorContract(lone);

    // What Node's HTTP parser refuses before Fastify sees it gets the contract too.
    const port = Number(new URL(await broker.listen(0)).port);
    const raw = await new Promise<string>((resolve, reject) => {
      let text = '';
      const socket = connect(port, '127.0.0.1', () => socket.write('GET /health HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n'));
      socket.on('data', (d) => (text += d.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    const [head, body] = raw.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 400 /);
    const id = /x-request-id: (\S+)/i.exec(head!)?.[1];
    expect(JSON.parse(body!)).toMatchObject({ error: 'INVALID_MESSAGE', reason: expect.stringMatching(/not valid HTTP/), requestId: id });
  });

  it('415 in the error contract for a body that is not JSON (text/plain, forms), as the README promises', async () => {
    const { broker, transport } = startBroker();
    for (const type of ['text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'application/octet-stream']) {
      const r = await broker.app.inject({ method: 'POST', url: '/v1/topics/orders/messages', headers: { 'content-type': type }, payload: '{"type":"x","from":"a","payload":1}' });
      expect(r.statusCode, type).toBe(415);
      expect(expectErrorContract(r, type)).toMatchObject({ error: 'UNSUPPORTED_MEDIA_TYPE', reason: expect.stringMatching(/application\/json/) });
    }
    expect((await transport.stats('orders')).length).toBe(0);
    const ok = await broker.app.inject({ method: 'POST', url: '/v1/topics/orders/messages', headers: { 'content-type': 'application/json; charset=utf-8' }, payload: '{"type":"x","from":"a","payload":1}' });
    expect(ok.statusCode).toBe(201);
  });
});
