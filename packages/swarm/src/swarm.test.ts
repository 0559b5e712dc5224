import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type AgentbusError } from '@agentbus/schema';
import { createMemoryTransport, type Transport } from '@agentbus/transport';
import { createSwarm, DEFAULT_SWARM_OPTIONS } from './swarm';

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
    expect(DEFAULT_SWARM_OPTIONS).toMatchObject({ escalationTopic: 'swarm.escalations', conflictThreshold: 0.3, listLimit: 100 });
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
});
