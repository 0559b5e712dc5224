import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type AgentbusError } from '@agentbus/schema';
import { createMemoryTransport, type Transport } from '@agentbus/transport';
import { createSwarm, DEFAULT_SWARM_OPTIONS } from './swarm';
import { createSwarmMemoryStore, memoryKeyspace } from './memory/memory-swarm-store';

describe('createSwarm', () => {
  it('shares data between swarms on the same memory transport by default, not across transports', async () => {
    const transport = createMemoryTransport();
    const a = createSwarm(transport);
    const b = createSwarm(transport);
    await a.createTask({ id: 't1', description: 'x', type: 'a' });
    expect((await b.getTask('t1')).id).toBe('t1');
    const other = createSwarm(createMemoryTransport());
    await expect(other.getTask('t1')).rejects.toMatchObject({ code: ERROR_CODES.NOT_FOUND });
    expect(a.keys.task('t1')).toBe('agentbus:task:t1');
    await transport.close();
  });

  it('refuses a Redis Cluster transport, saying why', () => {
    const cluster = { ...createMemoryTransport(), redis: {}, capabilities: { ordering: true, cluster: true, durable: true, shardedPubSub: true } };
    expect(() => createSwarm(cluster as unknown as Transport)).toThrow(/standalone or Sentinel Redis/);
  });

  it('documents its defaults', () => {
    expect(DEFAULT_SWARM_OPTIONS).toMatchObject({ escalationTopic: 'swarm.escalations', conflictThreshold: 0.3, listLimit: 100, claimLeaseMs: 300_000 });
  });

  it('gives up a read-merge-write after maxCasRetries lost races with CONFLICT', async () => {
    const transport = createMemoryTransport();
    const swarm = createSwarm(transport, { maxCasRetries: 0 });
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) => swarm.shareContext('s', 'n', { notes: `n${i}` })),
    );
    const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as AgentbusError] : []));
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0]!.code).toBe(ERROR_CODES.CONFLICT);
    expect(failed[0]!.message).toMatch(/changed 1 times.*maxCasRetries/);
    const stored = await swarm.getContext('s', 'n');
    expect(stored.notes).toHaveLength(results.length - failed.length);
  });

  describe('escalate when the task changes between its read and its write', () => {
    /** A swarm whose clock runs `meddle` once on the first call after `arm()`, i.e. inside escalate, after its read. */
    function meddling(meddle: (ks: ReturnType<typeof memoryKeyspace>, key: string) => void, options: { maxCasRetries?: number } = {}) {
      const memoryStore = createSwarmMemoryStore();
      const ks = memoryKeyspace(memoryStore);
      const transport = createMemoryTransport();
      let armed = 0;
      const now = () => {
        // Calls of escalate: uuidv7 first, then one per attempt after its read.
        if (armed > 0 && --armed === 0) meddle(ks, transport.keys.task('t1'));
        return Date.now();
      };
      const swarm = createSwarm(transport, { memoryStore, now, ...options });
      return { swarm, ks, arm: (calls: number) => void (armed = calls) };
    }

    it('reads again and escalates the task as it is then, once', async () => {
      const { swarm, arm } = meddling((ks, key) => ks.hset(key, { status: 'in_progress', assignee: 'w9' }));
      await swarm.createTask({ id: 't1', description: 'x', type: 'a' });
      arm(2);
      const r = await swarm.escalate('t1', { agent_id: 'w1', reason: 'r' });
      expect(r.task).toMatchObject({ status: 'needs_assist', assignee: 'w9' });
    });

    it('gives up with CONFLICT after maxCasRetries changes, marking nothing', async () => {
      let n = 0;
      const { swarm, ks, arm } = meddling((k, key) => k.hset(key, { description: `changed ${++n}` }), { maxCasRetries: 0 });
      await swarm.createTask({ id: 't1', description: 'x', type: 'a' });
      arm(2);
      await expect(swarm.escalate('t1', { agent_id: 'w1', reason: 'r' })).rejects.toMatchObject({ code: ERROR_CODES.CONFLICT, message: /maxCasRetries/ });
      expect(ks.hgetall(swarm.keys.task('t1'))).toMatchObject({ status: 'pending', description: 'changed 1' });
    });

    it('NOT_FOUND when the task expired meanwhile, WRONG_TYPE when it became another type', async () => {
      const gone = meddling((ks, key) => ks.del(key));
      await gone.swarm.createTask({ id: 't1', description: 'x', type: 'a' });
      gone.arm(2);
      await expect(gone.swarm.escalate('t1', { agent_id: 'w1', reason: 'r' })).rejects.toMatchObject({ code: ERROR_CODES.NOT_FOUND });
      const odd = meddling((ks, key) => ks.set(key, 'text'));
      await odd.swarm.createTask({ id: 't1', description: 'x', type: 'a' });
      odd.arm(2);
      await expect(odd.swarm.escalate('t1', { agent_id: 'w1', reason: 'r' })).rejects.toMatchObject({ code: ERROR_CODES.WRONG_TYPE });
    });
  });
});
