import { afterEach, describe, expect, it } from 'vitest';
import { createEnvelope, generateSigningKeyPair, signEnvelope } from '@agentbus/schema';
import { hashToken } from '../src/index';
/** A refusal: its status and its reason, both (a reason alone would pass on a 500 with text). */
function expectRefused(response: { statusCode: number; json(): { reason?: string } }, status: number, reason: RegExp): void {
  expect(response.statusCode).toBe(status);
  expect(response.json().reason).toMatch(reason);
}
import { bearer, closeAll, startBroker, token } from './helpers';

afterEach(closeAll);

const alice = token('alice', ['alpha'], { topics: ['orders', 'alpha.*'], channels: ['alpha.*'] });
const bob = token('bob', ['beta'], { topics: ['beta.*'] });
const carol = token('carol', ['gamma']);
const dave = token('dave', ['alpha'], { revoked: true });
const ops = token('ops', ['alpha'], { admin: true, label: 'ops-key' });
const betaOps = token('beta-ops', ['beta'], { admin: true });
const signer = token('signer', ['secure']);
const nokey = token('nokey', ['secure']);
const hashedSecret = 'a-secret-only-its-digest-is-configured';

function authBroker() {
  return startBroker({
    auth: {
      tokens: [alice, bob, carol, dave, ops, betaOps, signer, nokey].map((t) => t.config).concat([{ sha256: hashToken(hashedSecret), agent: 'hashy', swarms: ['alpha'], topics: ['*'] }]),
      swarms: { secure: { requireSignatures: true } },
    },
    keyCacheMs: 0,
  });
}

describe('auth matrix', () => {
  it('401 without a token, with a malformed, unknown or revoked one; JSON with a reason', async () => {
    const { broker } = authBroker();
    const publish = (headers: Record<string, string>) =>
      broker.app.inject({ method: 'POST', url: '/v1/topics/orders/messages', headers, payload: { type: 'x', payload: 1 } });
    const none = await publish({});
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="agentbus"');
    expect(none.json()).toMatchObject({ error: 'UNAUTHORIZED', reason: expect.stringMatching(/missing bearer token/) });
    expectRefused(await publish({ authorization: 'Basic abc' }), 401, /Bearer <token>/);
    expectRefused(await publish(bearer('not-a-configured-token')), 401, /unknown token/);
    const revoked = await publish(bearer(dave));
    expect(revoked.statusCode).toBe(401);
    expect(revoked.json().reason).toMatch(/revoked/);
    expect((await publish(bearer(hashedSecret))).statusCode).toBe(201);
    // Revoked at runtime, by the token itself.
    expect((await publish(bearer(alice))).statusCode).toBe(201);
    expect(broker.tokens!.revoke(alice.secret)).toBe(true);
    expect(broker.tokens!.revoke('never-configured')).toBe(false);
    expectRefused(await publish(bearer(alice)), 401, /revoked/);
    // Public routes need no token.
    expect((await broker.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
  });

  it('403 when a token acts as another agent, or uses a topic or channel it was not given', async () => {
    const { broker } = authBroker();
    const as = (payload: object, url = '/v1/topics/orders/messages') => broker.app.inject({ method: 'POST', url, headers: bearer(alice), payload });
    const spoofed = await as(createEnvelope({ type: 'x', from: 'bob', payload: 1 }));
    expect(spoofed.statusCode).toBe(403);
    expect(spoofed.json()).toMatchObject({ error: 'FORBIDDEN', reason: expect.stringMatching(/acts as agent alice only, but the envelope's from is bob/) });
    expect((await as({ type: 'x', from: 'bob', payload: 1 })).statusCode).toBe(403);
    expect((await as({ type: 'x', payload: 1 })).statusCode).toBe(201);
    expectRefused(await as({ type: 'x', payload: 1 }, '/v1/topics/beta.jobs/messages'), 403, /may not use topic beta.jobs/);
    expect((await as({ type: 'x', payload: 1 }, '/v1/channels/alpha.chat/publish')).statusCode).toBe(200);
    expectRefused(await as({ type: 'x', payload: 1 }, '/v1/channels/general/publish'), 403, /may not publish to channel general/);
    expect((await broker.app.inject({ method: 'GET', url: '/v1/topics/beta.jobs', headers: bearer(alice) })).statusCode).toBe(403);
    const task = (await broker.app.inject({ method: 'POST', url: '/v1/swarm/tasks', headers: bearer(alice), payload: { description: 'd', type: 't' } })).json<{ id: string }>();
    const claimAsBob = await broker.app.inject({ method: 'POST', url: `/v1/swarm/tasks/${task.id}/claim`, headers: bearer(alice), payload: { agent_id: 'bob' } });
    expect(claimAsBob.statusCode).toBe(403);
    const findingAsBob = await broker.app.inject({ method: 'POST', url: '/v1/swarm/findings', headers: bearer(alice), payload: { claim: 'c', confidence: 0.5, worker_id: 'bob', task_id: task.id } });
    expect(findingAsBob.statusCode).toBe(403);
    const registerBob = await broker.app.inject({ method: 'POST', url: '/v1/swarm/registries/alpha/agents', headers: bearer(alice), payload: { id: 'bob', role: 'x' } });
    expect(registerBob.statusCode).toBe(403);
    const heartbeatBob = await broker.app.inject({ method: 'POST', url: '/v1/swarm/registries/alpha/agents/bob/heartbeat', headers: bearer(alice), payload: {} });
    expect(heartbeatBob.statusCode).toBe(403);
  });

  it('403 across swarms: writes never cross, reads only when the target allowlists the reader', async () => {
    const { broker } = authBroker();
    const call = (t: typeof alice, method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, payload?: unknown) =>
      broker.app.inject({ method, url, headers: bearer(t), ...(payload === undefined ? {} : { payload: payload as object }) });
    const task = (await call(bob, 'POST', '/v1/swarm/tasks', { description: 'beta work', type: 'r' })).json<{ id: string; data: { swarm: string } }>();
    expect(task.data.swarm).toBe('beta');
    await call(bob, 'POST', '/v1/swarm/findings', { task_id: task.id, claim: 'c', confidence: 0.7 });
    await call(bob, 'PATCH', '/v1/swarm/contexts/beta/notes', { notes: 'hello' });
    await call(bob, 'POST', '/v1/swarm/registries/beta/agents', { role: 'worker' });

    const reads = [`/v1/swarm/tasks/${task.id}`, '/v1/swarm/tasks?swarm=beta', `/v1/swarm/tasks/${task.id}/findings`, `/v1/swarm/tasks/${task.id}/conflicts`, '/v1/swarm/contexts/beta/notes', '/v1/swarm/registries/beta'];
    for (const url of reads) {
      const r = await call(alice, 'GET', url);
      expect(r.statusCode, url).toBe(403);
      expect(r.json().reason, url).toMatch(/swarm alpha may not read swarm beta: beta's registry allowlist does not name it/);
    }
    expectRefused(await call(alice, 'POST', `/v1/swarm/tasks/${task.id}/claim`, {}), 403, /belongs to swarm alpha, not beta/);
    expect((await call(alice, 'POST', '/v1/swarm/tasks', { description: 'd', type: 't', data: { swarm: 'beta' } })).statusCode).toBe(403);
    expect((await call(alice, 'PUT', '/v1/swarm/registries/beta/allowlist', ['alpha'])).statusCode).toBe(403);

    // Only an admin of beta opens it to other swarms' reads; a member cannot.
    expectRefused(await call(bob, 'PUT', '/v1/swarm/registries/beta/allowlist', ['alpha']), 403, /allowlist of swarm beta needs an admin token/);
    expect((await call(betaOps, 'PUT', '/v1/swarm/registries/beta/allowlist', ['alpha'])).statusCode).toBe(200);
    for (const url of reads) expect((await call(alice, 'GET', url)).statusCode, url).toBe(200);
    expect((await call(alice, 'GET', '/v1/swarm/tasks?swarm=beta')).json().items).toHaveLength(1);
    expect((await call(carol, 'GET', `/v1/swarm/tasks/${task.id}`)).statusCode).toBe(403);
    // Reading is not writing.
    expect((await call(alice, 'POST', `/v1/swarm/tasks/${task.id}/claim`, {})).statusCode).toBe(403);
    expect((await call(alice, 'PATCH', '/v1/swarm/contexts/beta/notes', { notes: 'x' })).statusCode).toBe(403);
    expect((await call(alice, 'PUT', '/v1/swarm/sessions/beta', { date: '2026-01-01', label: 'l', summary: 's' })).statusCode).toBe(403);
  });

  it('admin-only operations need an admin token', async () => {
    const { broker } = authBroker();
    for (const [method, url, payload] of [
      ['POST', '/v1/topics/orders/trim', {}],
      ['POST', '/v1/topics/orders/dlq/replay', { all: true }],
      ['DELETE', '/v1/topics/orders/dlq?all=true', undefined],
      ['POST', '/v1/swarm/remediation', {}],
    ] as const) {
      const denied = await broker.app.inject({ method, url, headers: bearer(alice), ...(payload ? { payload } : {}) });
      expect(denied.statusCode, url).toBe(403);
      expect(denied.json().reason, url).toMatch(/needs an admin token/);
      const allowed = await broker.app.inject({ method, url, headers: bearer(ops), ...(payload ? { payload } : {}) });
      expect(allowed.statusCode, url).toBe(200);
    }
  });

  it('verifies signatures against the registered key; refuses unsigned envelopes where the swarm requires them', async () => {
    const { broker } = authBroker();
    const keys = generateSigningKeyPair();
    const other = generateSigningKeyPair();
    const send = (t: typeof alice, body: object) => broker.app.inject({ method: 'POST', url: '/v1/topics/secure.jobs/messages', headers: bearer(t), payload: body });

    // Required, but no key registered yet: refused either way.
    const noKey = await send(nokey, { type: 'x', payload: 1 });
    expect(noKey.statusCode).toBe(403);
    expect(noKey.json().reason).toMatch(/swarm secure requires signed envelopes, and agent nokey has no public_key/);

    await broker.app.inject({ method: 'POST', url: '/v1/swarm/registries/secure/agents', headers: bearer(signer), payload: { role: 'w', public_key: keys.publicKey } });
    const unsigned = await send(signer, { type: 'x', payload: 1 });
    expect(unsigned.statusCode).toBe(403);
    expect(unsigned.json().reason).toMatch(/requires signed envelopes: envelope .* is unsigned/);
    const wrongKey = await send(signer, signEnvelope(createEnvelope({ type: 'x', from: 'signer', payload: 1 }), other.privateKey));
    expect(wrongKey.statusCode).toBe(403);
    expect(wrongKey.json()).toMatchObject({ error: 'BAD_SIGNATURE' });
    const signed = signEnvelope(createEnvelope({ type: 'x', from: 'signer', payload: { n: 1 } }), keys.privateKey);
    const tampered = await send(signer, { ...signed, payload: { n: 2 } });
    expect(tampered.json()).toMatchObject({ error: 'BAD_SIGNATURE', reason: expect.stringMatching(/does not match/) });
    expect((await send(signer, signed)).statusCode).toBe(201);

    // A swarm that does not require signatures still verifies a sender that registered a key.
    await broker.app.inject({ method: 'POST', url: '/v1/swarm/registries/alpha/agents', headers: bearer(alice), payload: { role: 'w', public_key: keys.publicKey } });
    const aliceSend = (body: object) => broker.app.inject({ method: 'POST', url: '/v1/topics/orders/messages', headers: bearer(alice), payload: body });
    expect((await aliceSend(signEnvelope(createEnvelope({ type: 'x', from: 'alice', payload: 1 }), other.privateKey))).json().error).toBe('BAD_SIGNATURE');
    expect((await aliceSend({ type: 'x', payload: 1 })).statusCode).toBe(201);
    expect((await aliceSend(signEnvelope(createEnvelope({ type: 'x', from: 'alice', payload: 1 }), keys.privateKey))).statusCode).toBe(201);
  });
});
