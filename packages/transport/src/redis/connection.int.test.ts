import { afterEach, describe, expect, inject, it } from 'vitest';
import { Redis } from 'ioredis';
import { createEnvelope, ERROR_CODES } from '@agentbus/schema';
import { connectionOptionsFromEnv, connectRedis, createRedisClient, describeTarget, resolveConnection, type RedisClient } from './connection';
import { freePort } from '@agentbus/test-utils';
import { createRedisTransport } from '../redis-transport';


const clients: RedisClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect();
});

function client(url: string, extra: object = {}): RedisClient {
  const c = createRedisClient({ url, connectTimeoutMs: 2000, maxRetriesPerRequest: 1, ...extra });
  clients.push(c);
  return c;
}

describe('connections', () => {
  it('connects to the test server and reports health: version, memory, clients, role', async () => {
    const url = inject('redisUrl');
    const c = client(url);
    await connectRedis(c, { url });
    const t = createRedisTransport({ client: c });
    const h = await t.health();
    expect(h).toMatchObject({ ok: true, backend: 'redis', mode: 'standalone', role: 'master' });
    expect(h.version).toMatch(/^\d+\.\d+/);
    expect(h.usedMemoryBytes).toBeGreaterThan(0);
    expect(h.connectedClients).toBeGreaterThan(0);
    await t.close();
    expect(c.status).toBe('ready'); // a client passed in is not closed by the transport
  });

  it('connection refused: one clear error naming REDIS_URL', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const err = await connectRedis(client(url), { url, connectTimeoutMs: 1500 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ERROR_CODES.CONNECTION_FAILED });
    expect((err as Error).message).toMatch(/connection refused.*REDIS_URL/);
    const t = createRedisTransport({ url, maxRetriesPerRequest: 0, connectTimeoutMs: 500 });
    const h = await t.health();
    expect(h.ok).toBe(false);
    expect(h.error).toMatch(/127\.0\.0\.1/);
    await t.close();
  });

  it('Redis unreachable with the default retries: health() answers within healthTimeoutMs, close() at once', async () => {
    // Default maxRetriesPerRequest (20): a PING would wait out ~40 s of reconnects.
    const t = createRedisTransport({ url: `redis://127.0.0.1:${await freePort()}`, healthTimeoutMs: 300 });
    const h = await t.health();
    expect(h).toMatchObject({ ok: false, backend: 'redis' });
    expect(h.error).toMatch(/healthTimeoutMs/);
    const pending = t.publish('orders', createEnvelope({ type: 't', from: 'a', to: 'orders', payload: {} })).catch((e: unknown) => e);
    await t.close();
    // What was queued is failed, not left hanging.
    expect(await pending).toBeInstanceOf(Error);
  }, 8_000);

  it('authentication failed: AUTH_FAILED, not an endless retry', async () => {
    const url = inject('redisUrl');
    const admin = new Redis(url);
    const user = `u${process.pid}${Date.now()}`;
    await admin.call('ACL', 'SETUSER', user, 'on', '>right', '~*', '+@all');
    try {
      const u = new URL(url);
      const bad = `redis://${user}:wrong@${u.host}`;
      const err = await connectRedis(client(bad), { url: bad }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: ERROR_CODES.AUTH_FAILED });
      expect((err as Error).message).toMatch(/user and password in REDIS_URL/);
      const good = `redis://${user}:right@${u.host}`;
      await expect(connectRedis(client(good), { url: good })).resolves.toBeUndefined();
    } finally {
      await admin.call('ACL', 'DELUSER', user);
      admin.disconnect();
    }
  });

  it('TLS against a plain port: TLS_FAILED that says to use redis://', async () => {
    const u = new URL(inject('redisUrl'));
    const url = `rediss://${u.host}`;
    const err = await connectRedis(client(url, { tls: { rejectUnauthorized: false } }), { url, connectTimeoutMs: 1500 }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: ERROR_CODES.TLS_FAILED });
    expect((err as Error).message).toMatch(/redis:\/\//);
  });

  it('a key of the wrong type: WRONG_TYPE on publish, nothing else touched', async () => {
    const url = inject('redisUrl');
    const namespace = `t-wt-${Date.now()}`;
    const t = createRedisTransport({ url, namespace });
    const raw = new Redis(url);
    await raw.set(t.keys.lane('orders', 'normal'), 'not a stream');
    const err = await t.publish('orders', createEnvelope({ type: 'x', from: 'a', payload: 1 })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ERROR_CODES.WRONG_TYPE });
    expect(await raw.get(t.keys.lane('orders', 'normal'))).toBe('not a stream');
    raw.disconnect();
    await t.close();
  });

  it('refuses bad settings with the name of the setting', () => {
    expect(() => createRedisClient({ url: 'http://x' })).toThrow(/redis:\/\/ or rediss:\/\//);
    expect(() => createRedisClient({ url: 'not a url' })).toThrow(/REDIS_URL/);
    expect(() => createRedisClient({ clusterNodes: 'nohostport' })).toThrow(/REDIS_CLUSTER_NODES/);
    expect(() => createRedisClient({ healthTimeoutMs: 0 })).toThrow(/healthTimeoutMs/);
  });

  it('reads REDIS_URL and REDIS_CLUSTER_NODES, and never prints a password', () => {
    expect(connectionOptionsFromEnv({ REDIS_URL: 'redis://h:1', REDIS_CLUSTER_NODES: 'a:1,b:2' })).toEqual({
      url: 'redis://h:1',
      clusterNodes: 'a:1,b:2',
    });
    expect(connectionOptionsFromEnv({})).toEqual({});
    expect(describeTarget({ url: 'redis://u:secret@h:7/2' })).toBe('Redis at h:7');
    expect(describeTarget({ clusterNodes: ['a:1', 'b:2'] })).toBe('Redis Cluster a:1,b:2');
    expect(describeTarget({ sentinel: { name: 'mymaster', sentinels: [] } })).toBe('Redis Sentinel master mymaster');
  });

  it('createRedisTransport without a url connects where REDIS_URL says (as createTransport does)', async () => {
    const url = inject('redisUrl');
    const saved = process.env.REDIS_URL;
    process.env.REDIS_URL = url;
    const t = createRedisTransport({ namespace: `t-env-${process.pid}-${Date.now()}`, connectTimeoutMs: 2000, maxRetriesPerRequest: 1 });
    const raw = new Redis(url);
    try {
      await t.publish('orders', createEnvelope({ type: 'x', from: 'a', payload: 1 }));
      expect((t.redis as Redis).options.port).toBe(Number(new URL(url).port));
      expect(await raw.xlen(t.keys.lane('orders', 'normal'))).toBe(1);
    } finally {
      if (saved === undefined) delete process.env.REDIS_URL;
      else process.env.REDIS_URL = saved;
      raw.disconnect();
      await t.close();
    }
  });

  it('errors say which target was used and where it came from (REDIS_URL, an option, the default)', async () => {
    const port = await freePort();
    const t = createRedisTransport({ env: { REDIS_URL: `redis://127.0.0.1:${port}` }, maxRetriesPerRequest: 0, connectTimeoutMs: 500 });
    const err = await t.publish('orders', createEnvelope({ type: 'x', from: 'a', payload: 1 })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ERROR_CODES.CONNECTION_FAILED });
    expect((err as Error).message).toContain(`Redis at 127.0.0.1:${port} (REDIS_URL)`);
    await t.close();

    const env = { REDIS_URL: 'redis://env:1', REDIS_CLUSTER_NODES: 'c:1,d:2' };
    expect(resolveConnection({ url: 'redis://h:7', env }).where).toBe('Redis at h:7 (url option)');
    expect(resolveConnection({ env }).where).toBe('Redis Cluster c:1,d:2 (REDIS_CLUSTER_NODES)');
    expect(resolveConnection({ env: { REDIS_URL: 'redis://env:1' } })).toMatchObject({ options: { url: 'redis://env:1' }, where: 'Redis at env:1 (REDIS_URL)' });
    expect(resolveConnection({ env: {} }).where).toBe('Redis at 127.0.0.1:6379 (the default: neither the url option nor REDIS_URL is set)');
    expect(resolveConnection({ clusterNodes: 'a:1', env }).where).toBe('Redis Cluster a:1 (clusterNodes option)');
    const sentinel = { name: 'm', sentinels: [] };
    expect(resolveConnection({ sentinel, env: {} }).where).toBe('Redis Sentinel master m (sentinel option)');
    expect(resolveConnection({ sentinel, env }).options.url).toBe('redis://env:1');
    const given = createRedisTransport({ client: client('redis://127.0.0.1:1') });
    const down = await given.health();
    expect(down.error).toContain('Redis at 127.0.0.1:1 (client option)');
    await given.close();
  });
});
