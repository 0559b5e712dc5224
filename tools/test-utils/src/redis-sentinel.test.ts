import { afterAll, expect, it } from 'vitest';
import net from 'node:net';
import { startRedis } from './redis-server';
import { startRedisSentinel } from './redis-sentinel';
import type { RedisServer } from './types';

let master: RedisServer | undefined;
afterAll(async () => {
  await master?.stop();
});

it('starts a sentinel that reports the master it monitors, and stops it', async () => {
  master = await startRedis({ backend: 'binary' });
  const sentinel = await startRedisSentinel({ masterPort: master.port, name: 'testmaster' });
  expect(sentinel.name).toBe('testmaster');
  await sentinel.stop();
  const refused = await new Promise<boolean>((resolve) => {
    const s = net.connect(sentinel.port, sentinel.host);
    s.on('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.on('error', () => resolve(true));
  });
  expect(refused).toBe(true);
});
