import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { Redis } from 'ioredis';
import { decodeEnvelope } from '@agentbus/schema';
import { uniquePrefix } from '@agentbus/test-utils';
import { createRedisTransport, type Transport } from '@agentbus/transport';
import { createSwarm } from '../src/index';
import '../src/redis/scripts';
import escalateLua from '../src/redis/escalate.lua';

/** Redis only: the escalation script writes the stream entry itself, so it must be the entry transport.publish writes. */
describe('escalation stream entries on Redis', () => {
  let transport: Transport;
  let client: Redis;

  beforeEach(() => {
    transport = createRedisTransport({ url: inject('redisUrl'), namespace: uniquePrefix('swarm-wire') });
    client = new Redis(inject('redisUrl'));
  });
  afterEach(async () => {
    await Promise.all([transport.close(), client.quit()]);
  });

  it('are byte for byte what transport.publish writes for the same envelope', async () => {
    const swarm = createSwarm(transport);
    await swarm.createTask({ id: 'w1', description: 'wire', type: 'a', data: { nested: { n: 1 }, text: 'ünïcode "quoted"' } });
    const r = await swarm.escalate('w1', { agent_id: 'agent-1', reason: 'look', finding_ids: ['f1'] });
    const lane = transport.keys.lane('swarm.escalations', 'high');
    const [[streamId, fields]] = (await client.xrange(lane, '-', '+')) as [[string, string[]]];
    expect(streamId).toBe(r.streamId);
    expect(fields[0]).toBe('env');
    expect(fields).toHaveLength(2);
    const decoded = decodeEnvelope(fields[1]!);
    if (!decoded.ok) throw decoded.error;
    expect(decoded.value).toMatchObject({ id: r.id, type: 'swarm.escalation', priority: 'high', payload: { task: r.task } });

    const published = await transport.publish('wire.check', decoded.value);
    const [[, again]] = (await client.xrange(transport.keys.lane('wire.check', 'high'), '-', '+')) as [[string, string[]]];
    expect(published.streamId).toMatch(/^\d+-\d+$/);
    expect(again).toEqual(fields);
  });

  it('a key of another type at the stream refuses the escalation before anything is written', async () => {
    const swarm = createSwarm(transport);
    await swarm.createTask({ id: 'w2', description: 'x', type: 'a' });
    const before = await client.hgetall(transport.keys.task('w2'));
    await client.set(transport.keys.lane('swarm.escalations', 'urgent'), 'not a stream');
    await expect(swarm.escalate('w2', { agent_id: 'a', reason: 'r', priority: 'urgent' })).rejects.toMatchObject({
      code: 'WRONG_TYPE',
      message: /not the escalations stream/,
    });
    expect(await client.hgetall(transport.keys.task('w2'))).toEqual(before);
  });

  it('a script resent after a lost reply does not escalate twice', async () => {
    const swarm = createSwarm(transport);
    await swarm.createTask({ id: 'w3', description: 'x', type: 'a' });
    const redis = transport.redis as Redis;
    // What ioredis does after a reconnect: the script ran, its reply was lost, it runs again.
    const twice = async (numkeys: number, ...keysAndArgs: string[]) => {
      await redis.eval(escalateLua, numkeys, ...keysAndArgs);
      return redis.eval(escalateLua, numkeys, ...keysAndArgs);
    };
    redis.agentbus_swarm_escalate_v1 = twice as unknown as typeof redis.agentbus_swarm_escalate_v1;
    const r = await swarm.escalate('w3', { agent_id: 'a', reason: 'r' });
    expect(r).toMatchObject({ streamId: '', task: { status: 'needs_assist', escalation_id: r.id } });
    expect(await client.xlen(transport.keys.lane('swarm.escalations', 'high'))).toBe(1);
  });
});
