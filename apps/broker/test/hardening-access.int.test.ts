import { afterEach, describe, expect, it } from 'vitest';
import { createEnvelope, generateSigningKeyPair, signEnvelope } from '@agentbus/schema';
import { bearer, closeAll, expectErrorContract, makeDeadLetters, startBroker, token } from './helpers';

afterEach(closeAll);

describe('a token sees and does only what it may (issue 12)', () => {
  it('/health/comprehensive and /metrics show a caller only the topics it may read', async () => {
    const reader = token('reader', ['s'], { topics: ['jobs'] });
    const ops = token('ops', ['s'], { admin: true });
    const { broker, transport } = startBroker({ auth: { tokens: [reader.config, ops.config] }, topics: ['secret.payroll'] });
    await makeDeadLetters(transport, 'secret.payroll', 1);
    await makeDeadLetters(transport, 'jobs', 1);
    const get = (url: string, t?: typeof reader) => broker.app.inject({ method: 'GET', url, ...(t ? { headers: bearer(t) } : {}) });

    const seen = (await get('/health/comprehensive?topic=jobs', reader)).json<{ topics: Array<{ topic: string }>; reasons: string[]; redisInfo?: unknown }>();
    expect(seen.topics.map((t) => t.topic)).toEqual(['jobs']);
    expect(JSON.stringify(seen)).not.toContain('secret.payroll');
    expect(seen.redisInfo).toBeUndefined();
    const all = (await get('/health/comprehensive', ops)).json<{ topics: Array<{ topic: string }>; redisInfo?: unknown }>();
    expect(all.topics.map((t) => t.topic)).toEqual(['secret.payroll', 'jobs']);
    expect(all.redisInfo).toBeDefined();

    const anonymous = (await get('/metrics')).body;
    expect(anonymous).toContain('agentbus_circuit_breaker_state');
    expect(anonymous).not.toContain('secret.payroll');
    expect(anonymous).not.toContain('topic="jobs"');
    const mine = (await get('/metrics', reader)).body;
    expect(mine).toContain('agentbus_dead_letter_depth{topic="jobs"} 1');
    expect(mine).not.toContain('secret.payroll');
    expect((await get('/metrics', ops)).body).toContain('agentbus_dead_letter_depth{topic="secret.payroll"} 1');
    const badToken = await broker.app.inject({ method: 'GET', url: '/metrics', headers: bearer('not-a-token-at-all') });
    expect(badToken.statusCode).toBe(401);
  });

  it('every authenticated route is rate-limited per token, not only publishes', async () => {
    const slow = token('slow', ['s'], { rateLimit: { capacity: 3, refillPerSecond: 0.1 } });
    const other = token('other', ['s']);
    const { broker } = startBroker({ auth: { tokens: [slow.config, other.config] } });
    const routes: Array<[method: 'GET' | 'POST', url: string, payload?: object]> = [
      ['GET', '/v1/swarm/tasks'],
      ['GET', '/v1/topics/orders'],
      ['GET', '/health/comprehensive'],
      ['POST', '/v1/swarm/tasks/claim-next', {}],
      ['GET', '/v1/swarm/registries/s'],
    ];
    let limited = 0;
    for (const [method, url, payload] of routes) {
      const r = await broker.app.inject({ method, url, headers: bearer(slow), ...(payload ? { payload } : {}) });
      if (r.statusCode !== 429) continue;
      limited++;
      expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(expectErrorContract(r, url)).toMatchObject({ error: 'RATE_LIMITED', retryAfterMs: expect.any(Number) });
    }
    expect(limited).toBe(2);
    expect((await broker.app.inject({ method: 'GET', url: '/v1/swarm/tasks', headers: bearer(other) })).statusCode).toBe(200);
    // Publishes keep their own bucket: reading did not use it up.
    expect((await broker.app.inject({ method: 'POST', url: '/v1/topics/orders/messages', headers: bearer(slow), payload: { type: 'x', payload: 1 } })).statusCode).toBe(201);
  });

  it('a listing that SCANs the keyspace (source=scan) needs an admin token', async () => {
    const member = token('member', ['s']);
    const ops = token('ops', ['s'], { admin: true });
    const { broker } = startBroker({ auth: { tokens: [member.config, ops.config] } });
    const task = (await broker.app.inject({ method: 'POST', url: '/v1/swarm/tasks', headers: bearer(member), payload: { description: 'd', type: 't' } })).json<{ id: string }>();
    for (const [method, url, payload] of [
      ['GET', '/v1/swarm/tasks?source=scan'],
      ['GET', `/v1/swarm/tasks/${task.id}/findings?source=scan`],
      ['GET', `/v1/swarm/tasks/${task.id}/conflicts?source=scan`],
      ['POST', '/v1/swarm/tasks/claim-next', { source: 'scan' }],
    ] as Array<[method: 'GET' | 'POST', url: string, payload?: object]>) {
      const denied = await broker.app.inject({ method, url, headers: bearer(member), ...(payload ? { payload } : {}) });
      expect(denied.statusCode, url).toBe(403);
      expect(expectErrorContract(denied, url).reason).toMatch(/source=scan .*needs an admin token/);
      expect((await broker.app.inject({ method, url, headers: bearer(ops), ...(payload ? { payload } : {}) })).statusCode, url).toBe(200);
    }
    expect((await broker.app.inject({ method: 'GET', url: '/v1/swarm/tasks?source=index', headers: bearer(member) })).statusCode).toBe(200);
  });

  it('the allowlist and a changed public_key need an admin token, so a leaked token cannot open a swarm or swap its key', async () => {
    const signer = token('signer', ['secure']);
    const ops = token('ops', ['secure'], { admin: true });
    const { broker } = startBroker({ auth: { tokens: [signer.config, ops.config], swarms: { secure: { requireSignatures: true } } }, keyCacheMs: 0 });
    const call = (t: typeof signer, method: 'POST' | 'PUT', url: string, payload: unknown) => broker.app.inject({ method, url, headers: bearer(t), payload: payload as object });
    const original = generateSigningKeyPair();
    const stolen = generateSigningKeyPair();
    expect((await call(signer, 'POST', '/v1/swarm/registries/secure/agents', { role: 'w', public_key: original.publicKey })).statusCode).toBe(200);

    const open = await call(signer, 'PUT', '/v1/swarm/registries/secure/allowlist', ['elsewhere']);
    expect(open.statusCode).toBe(403);
    expect(expectErrorContract(open).reason).toMatch(/allowlist.*needs an admin token/);
    const swap = await call(signer, 'POST', '/v1/swarm/registries/secure/agents', { role: 'w', public_key: stolen.publicKey });
    expect(swap.statusCode).toBe(403);
    expect(swap.json().reason).toMatch(/public_key.*needs an admin token/);
    // Re-registering with the same key (a restart) is fine; envelopes signed with the stolen key are still refused.
    expect((await call(signer, 'POST', '/v1/swarm/registries/secure/agents', { role: 'w', status: 'busy', public_key: original.publicKey })).statusCode).toBe(200);
    const forged = await call(signer, 'POST', '/v1/topics/secure.jobs/messages', signEnvelope(createEnvelope({ type: 'x', from: 'signer', payload: 1 }), stolen.privateKey));
    expect(forged.json()).toMatchObject({ error: 'BAD_SIGNATURE' });

    expect((await call(ops, 'PUT', '/v1/swarm/registries/secure/allowlist', ['elsewhere'])).json()).toMatchObject({ allowlist: ['elsewhere'] });
    // An admin rotates the agent's key; then the new key signs.
    const rotated = await call(ops, 'POST', '/v1/swarm/registries/secure/agents', { id: 'signer', role: 'w', public_key: stolen.publicKey });
    expect(rotated.statusCode).toBe(200);
    expect((await call(signer, 'POST', '/v1/topics/secure.jobs/messages', signEnvelope(createEnvelope({ type: 'x', from: 'signer', payload: 1 }), stolen.privateKey))).statusCode).toBe(201);
  });

  it('a finding for a task that does not exist gets 404 naming the task, and nothing is stored', async () => {
    const { broker } = startBroker();
    const r = await broker.app.inject({ method: 'POST', url: '/v1/swarm/findings', payload: { worker_id: 'w', task_id: 'no-such-task', claim: 'c', confidence: 0.5 } });
    expect(r.statusCode).toBe(404);
    expect(expectErrorContract(r)).toMatchObject({ error: 'NOT_FOUND', reason: expect.stringMatching(/no-such-task/) });
    expect((await broker.app.inject({ method: 'GET', url: '/v1/swarm/tasks/no-such-task/findings' })).json()).toMatchObject({ items: [] });
    // A finding of no task is still accepted.
    expect((await broker.app.inject({ method: 'POST', url: '/v1/swarm/findings', payload: { worker_id: 'w', claim: 'c', confidence: 0.5 } })).statusCode).toBe(201);
  });
});
