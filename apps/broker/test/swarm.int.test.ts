import { afterEach, describe, expect, it } from 'vitest';
import { createBrokerClient, BrokerRequestError } from '../src/index';
import { closeAll, startBroker, token } from './helpers';

afterEach(closeAll);

describe('swarm coordination over HTTP', () => {
  it('tasks, findings, conflicts, escalation, context, sessions, registry and remediation through the client', async () => {
    const lead = token('lead', ['lab'], { admin: true });
    const w1 = token('w1', ['lab']);
    const w2 = token('w2', ['lab']);
    const { broker, transport } = startBroker({ auth: { tokens: [lead.config, w1.config, w2.config] } });
    const url = await broker.listen(0);
    const c = (t: typeof lead) => createBrokerClient({ baseUrl: url, token: t.secret });
    const [L, A, B] = [c(lead), c(w1), c(w2)];

    const registry = await A.registry.register('lab', { role: 'researcher', model: 'haiku' });
    expect(registry.agents.map((a) => a.id)).toEqual(['w1']);
    expect((await A.registry.heartbeat('lab', 'w1', 'busy')).status).toBe('busy');
    expect((await L.registry.roster('lab')).agents[0]).toMatchObject({ id: 'w1', model: 'haiku' });
    expect((await L.registry.setAllowlist('lab', ['other'])).allowlist).toEqual(['other']);

    const t1 = await L.tasks.create({ id: 'task-1', description: 'find the version', type: 'research' });
    const t2 = await L.tasks.create({ description: 'second', type: 'review' });
    expect(t1).toMatchObject({ id: 'task-1', status: 'pending', data: { swarm: 'lab' } });
    await expect(L.tasks.create({ id: 'task-1', description: 'dup', type: 'research' })).rejects.toMatchObject({ status: 409, code: 'CONFLICT' });
    expect((await L.tasks.list({ status: 'pending' })).items.map((t) => t.id)).toEqual(['task-1', t2.id]);
    expect((await L.tasks.list({ status: ['pending', 'in_progress'], type: 'review', source: 'scan', limit: 5 })).items.map((t) => t.id)).toEqual([t2.id]);

    expect(await A.tasks.claimNext({ type: 'research' })).toMatchObject({ id: 'task-1', assignee: 'w1', status: 'in_progress' });
    expect(await B.tasks.claimNext({ type: 'research' })).toBeNull();
    const taken = await B.tasks.claim('task-1').catch((e: unknown) => e);
    expect(taken).toMatchObject({ status: 409, code: 'CONFLICT' });
    expect((await B.tasks.claim(t2.id)).assignee).toBe('w2');
    expect((await B.tasks.release(t2.id)).status).toBe('pending');
    expect((await B.tasks.claim(t2.id, 'w2')).status).toBe('in_progress');
    expect((await B.tasks.fail(t2.id, 'no sources')).status).toBe('failed');
    await expect(A.tasks.complete(t2.id, 'mine?')).rejects.toMatchObject({ status: 409 });

    const f1 = await A.findings.post({ task_id: 'task-1', claim: 'XAUTOCLAIM needs Redis 6.2', confidence: 0.9, citations: ['https://redis.io/commands/xautoclaim'] });
    const f2 = await B.findings.post({ task_id: 'task-1', claim: 'XAUTOCLAIM needs Redis 7.0', confidence: 0.4 });
    expect(f1.worker_id).toBe('w1');
    expect((await L.findings.get(f1.id)).claim).toBe('XAUTOCLAIM needs Redis 6.2');
    expect((await L.findings.list('task-1')).items.map((f) => f.id)).toEqual([f1.id, f2.id]);
    const conflicts = await L.findings.conflicts('task-1');
    expect(conflicts.conflicts).toHaveLength(1);
    expect(conflicts.conflicts[0]).toMatchObject({ higher: { id: f1.id }, lower: { id: f2.id } });
    expect((await L.findings.conflicts('task-1', { threshold: 0.6 })).conflicts).toHaveLength(0);

    const esc = await L.tasks.escalate('task-1', { reason: 'conflicting findings', finding_ids: [f1.id, f2.id] });
    expect(esc.task.status).toBe('needs_assist');
    expect((await transport.stats('swarm.escalations')).length).toBe(1);
    expect((await A.tasks.complete('task-1', 'Redis 6.2')).status).toBe('completed');
    expect((await L.tasks.get('task-1')).result).toBe('Redis 6.2');

    const ctx = await A.context.share('lab', 'run-1', { notes: 'started', topics: ['redis'], shared_data: { n: 1 } });
    await B.context.share('lab', 'run-1', { notes: ['more'], timeline: [{ event: 'checked' }] });
    expect(ctx.notes).toEqual(['started']);
    expect((await L.context.get('lab', 'run-1')).notes).toEqual(['started', 'more']);
    await L.sessions.put('lab', { date: '2026-11-23', label: 'demo', summary: 'went fine', metrics: { tasks: 2 } });
    expect((await A.sessions.get('lab', '2026-11-23', 'demo')).metrics).toEqual({ tasks: 2 });
    await expect(A.sessions.get('lab', '2026-11-23', 'nope')).rejects.toMatchObject({ status: 404 });

    const scan = await L.remediate({ apply: false });
    expect(scan.applied).toBe(false);
    expect(scan.keys_scanned).toBeGreaterThan(0);
  });

  it('a claim race of 50 concurrent claimants over HTTP has exactly one winner', async () => {
    const claimants = Array.from({ length: 50 }, (_, i) => token(`racer-${i}`, ['race']));
    const lead = token('lead', ['race']);
    const { broker } = startBroker({ auth: { tokens: [lead, ...claimants].map((t) => t.config) }, rateLimit: false });
    const url = await broker.listen(0);
    const task = await createBrokerClient({ baseUrl: url, token: lead.secret }).tasks.create({ description: 'only one may have it', type: 'race' });
    const outcomes = await Promise.allSettled(claimants.map((t) => createBrokerClient({ baseUrl: url, token: t.secret }).tasks.claim(task.id)));
    const winners = outcomes.filter((o) => o.status === 'fulfilled');
    const losers = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(49);
    for (const l of losers) expect(l.reason).toBeInstanceOf(BrokerRequestError);
    expect(new Set(losers.map((l) => (l.reason as BrokerRequestError).status))).toEqual(new Set([409]));
    const winner = (winners[0] as PromiseFulfilledResult<{ assignee?: string }>).value.assignee;
    const stored = await createBrokerClient({ baseUrl: url, token: lead.secret }).tasks.get(task.id);
    expect(stored).toMatchObject({ status: 'in_progress', assignee: winner });
  });

  it('claim-next across a race hands every task to one claimant only', async () => {
    const { broker } = startBroker();
    const url = await broker.listen(0);
    const client = createBrokerClient({ baseUrl: url });
    for (let i = 0; i < 5; i++) await client.tasks.create({ description: `t${i}`, type: 'batch', data: { swarm: 'dev' } });
    const got = await Promise.all(Array.from({ length: 12 }, (_, i) => client.tasks.claimNext({ agent_id: `a${i}`, type: 'batch', swarm: 'dev' })));
    const ids = got.filter((t) => t !== null).map((t) => t!.id);
    expect(ids).toHaveLength(5);
    expect(new Set(ids).size).toBe(5);
    // Without a swarm, the dev broker claims from all swarms (the swarm's own claim-next).
    await client.tasks.create({ description: 'loose', type: 'loose' });
    expect(await client.tasks.claimNext({ agent_id: 'x', type: 'loose' })).toMatchObject({ assignee: 'x' });
    expect((await client.tasks.list({ swarm: 'dev', status: 'in_progress' })).items).toHaveLength(5);
    expect((await client.tasks.list()).items).toHaveLength(6);
    await expect(client.tasks.claimNext({ type: 'batch' })).rejects.toMatchObject({ status: 400, path: 'agent_id' });
  });

  it('claims hold a lease: the assignee renews it, and claim-next of a swarm takes back one that ran out', async () => {
    const { broker } = startBroker({ swarm: { claimLeaseMs: 300 } });
    const url = await broker.listen(0);
    const client = createBrokerClient({ baseUrl: url });
    const renew = (id: string, agent: string) =>
      fetch(`${url}/v1/swarm/tasks/${id}/renew`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ agent_id: agent }) });
    const kept = await client.tasks.create({ description: 'kept', type: 'lease', data: { swarm: 'dev' } });
    const dropped = await client.tasks.create({ description: 'dropped', type: 'lease', data: { swarm: 'dev' } });
    const claimed = await client.tasks.claim(kept.id, 'w1');
    expect(claimed.claimed_until).toEqual(expect.any(String));
    await client.tasks.claim(dropped.id, 'w1');
    // w1 keeps working on `kept` (renewing) and has died on `dropped`.
    const heartbeat = setInterval(() => void renew(kept.id, 'w1').catch(() => undefined), 50);
    try {
      await new Promise((resolve) => setTimeout(resolve, 450));
      const renewed = await renew(kept.id, 'w1');
      expect(renewed.status).toBe(200);
      expect(((await renewed.json()) as { claimed_until: string }).claimed_until > String(claimed.claimed_until)).toBe(true);
      expect((await renew(kept.id, 'w2')).status).toBe(409);
      expect(await client.tasks.claimNext({ agent_id: 'w2', type: 'lease', swarm: 'dev' })).toMatchObject({ id: dropped.id, assignee: 'w2', reclaimed_count: '1' });
      expect(await client.tasks.claimNext({ agent_id: 'w3', type: 'lease', swarm: 'dev' })).toBeNull();
    } finally {
      clearInterval(heartbeat);
    }
  });
});
