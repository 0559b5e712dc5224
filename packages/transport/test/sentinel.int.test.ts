import { afterAll, expect, inject, it, vi } from 'vitest';
import { createEnvelope } from '@agentbus/schema';
import { startRedisSentinel, type RedisSentinel } from '@agentbus/test-utils';
import { createRedisTransport, type Transport } from '../src/index';

let sentinel: RedisSentinel | undefined;
let transport: Transport | undefined;
afterAll(async () => {
  await transport?.close();
  await sentinel?.stop();
});

it('connects through Redis Sentinel to the master it names, and streams work there', async () => {
  const master = new URL(inject('redisUrl'));
  sentinel = await startRedisSentinel({ masterPort: Number(master.port), name: 'agentbus-test' });
  transport = createRedisTransport({
    sentinel: { sentinels: [{ host: sentinel.host, port: sentinel.port }], name: 'agentbus-test' },
    namespace: `t-sentinel-${Date.now()}`,
  });
  const health = await transport.health();
  expect(health).toMatchObject({ ok: true, role: 'master' });
  const got: unknown[] = [];
  transport.consume('s', (env) => void got.push(env.payload), { group: 'g' });
  await transport.publish('s', createEnvelope({ type: 'x', from: 'a', payload: 'via sentinel' }));
  await vi.waitFor(() => expect(got).toEqual(['via sentinel']));
});
