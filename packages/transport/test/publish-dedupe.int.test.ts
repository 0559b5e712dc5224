import { afterAll, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createEnvelope, type Envelope } from '@agentbus/schema';
import { startRedis, uniquePrefix, type RedisServer } from '@agentbus/test-utils';
import { createRedisTransport, type PublishResult, type Transport } from '../src/index';

/**
 * Publish dedupe, on by default, against real redis-server processes this file starts (they are
 * paused, killed and restarted, so not the run's shared server).
 */

const servers: RedisServer[] = [];
const open: Transport[] = [];
const admins: Redis[] = [];
afterAll(async () => {
  await Promise.all(open.map((t) => t.close().catch(() => undefined)));
  for (const a of admins) a.disconnect();
  await Promise.all(servers.map((s) => s.stop()));
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function server(options: Parameters<typeof startRedis>[0]): Promise<RedisServer> {
  const s = await startRedis(options);
  servers.push(s);
  return s;
}

function admin(url: string): Redis {
  const a = new Redis(url, { lazyConnect: true });
  a.on('error', () => undefined);
  admins.push(a);
  return a;
}

function tick(n: number): Envelope {
  return createEnvelope({ type: 'tick', from: 'test', payload: { n } });
}

/** The envelope ids of every entry of the topic's normal lane, in stream order. */
async function idsInStream(a: Redis, t: Transport, topic: string): Promise<string[]> {
  const entries = await a.xrange(t.keys.lane(topic, 'normal'), '-', '+');
  return entries.map(([, fields]) => (JSON.parse(fields[1]!) as { id: string }).id);
}

it('an XADD that ioredis re-sends after a reconnect writes once with the default settings', async () => {
  const s = await server({ extraArgs: ['--enable-debug-command', 'yes'] });
  const t = createRedisTransport({ url: s.url, namespace: uniquePrefix('resend'), maxReconnectDelayMs: 50 });
  open.push(t);
  const sleeper = admin(s.url);
  const killer = admin(s.url);
  await t.publish('orders', tick(0));
  const id = await (t.redis as Redis).client('ID');
  await Promise.all([sleeper.ping(), killer.ping()]);

  // Redis sleeps; the publish, then a CLIENT KILL of its connection, queue up behind the sleep.
  // Redis then runs the publish and drops the connection before its reply is written, as a crash
  // or a network cut right after the write does: ioredis reconnects and re-sends it.
  const asleep = sleeper.call('DEBUG', 'SLEEP', '0.5');
  await sleep(100);
  const env = tick(1);
  const published = t.publish('orders', env);
  await sleep(100);
  const killed = await killer.call('CLIENT', 'KILL', 'ID', String(id));
  await asleep;
  const result: PublishResult = await published;

  const ids = await idsInStream(killer, t, 'orders');
  console.log(`resend: CLIENT KILL ${String(killed)}, re-sent publish answered duplicate=${result.duplicate}, entries of the envelope ${ids.filter((x) => x === env.id).length}`);
  expect(killed).toBe(1);
  // The re-sent script found the first write's dedupe record: one entry.
  expect(result.duplicate).toBe(true);
  expect(ids.filter((x) => x === env.id)).toHaveLength(1);
  expect(ids).toHaveLength(2);
}, 20_000);

it('a publish whose connection drops after it was sent rejects with INDETERMINATE (it was written); published again it stays one entry', async () => {
  const s = await server({ extraArgs: ['--enable-debug-command', 'yes'] });
  // maxRetriesPerRequest 0: ioredis fails what was in flight at the first drop instead of re-sending it.
  const t = createRedisTransport({ url: s.url, namespace: uniquePrefix('indeterminate'), maxRetriesPerRequest: 0, maxReconnectDelayMs: 50 });
  open.push(t);
  const sleeper = admin(s.url);
  const killer = admin(s.url);
  await t.publish('orders', tick(0));
  const id = await (t.redis as Redis).client('ID');
  await Promise.all([sleeper.ping(), killer.ping()]);

  const asleep = sleeper.call('DEBUG', 'SLEEP', '0.5');
  await sleep(100);
  const env = tick(1);
  const published = t.publish('orders', env).catch((e: unknown) => e);
  await sleep(100);
  await killer.call('CLIENT', 'KILL', 'ID', String(id));
  await asleep;
  const error = await published;
  expect(error).toMatchObject({ code: 'INDETERMINATE', retryable: true });
  expect((error as Error).message).toMatch(/may or may not have been written.*dedupes by envelope id/);
  expect((await idsInStream(killer, t, 'orders')).filter((x) => x === env.id)).toHaveLength(1);

  // The caller does what the error says: publish it again, unchanged.
  const again = await t.publish('orders', env);
  expect(again.duplicate).toBe(true);
  expect((await idsInStream(killer, t, 'orders')).filter((x) => x === env.id)).toHaveLength(1);
}, 20_000);

it('kill -9 of redis-server mid-publish, three times (AOF, appendfsync always): every publish resolves, each message is one entry', async () => {
  const s = await server('durable');
  const t = createRedisTransport({ url: s.url, namespace: uniquePrefix('kill-publish'), maxReconnectDelayMs: 100 });
  open.push(t);
  const total = 4_000;
  const kills = [1_000, 2_000, 3_000];
  const results: PublishResult[] = [];
  let next = 0;
  let due = 0;
  // 50 publishes outstanding at all times, so each kill lands with writes on the wire: some run
  // and are fsynced, but their replies never leave, and ioredis re-sends them after the restart.
  const worker = async () => {
    while (next < total) {
      const n = next++;
      if (kills.includes(n)) due++;
      results.push(await t.publish('orders', tick(n)));
    }
  };
  const workers = Array.from({ length: 50 }, worker);
  for (let k = 1; k <= kills.length; k++) {
    while (due < k) await sleep(1);
    await s.kill('SIGKILL');
    await sleep(200);
    await s.restart();
  }
  await Promise.all(workers);

  const a = admin(s.url);
  const ids = await idsInStream(a, t, 'orders');
  const distinct = new Set(ids).size;
  const caught = results.filter((r) => r.duplicate).length;
  console.log(`kill -9 x${kills.length} mid-publish: publishes ${total}, resolved ${results.length}, entries ${ids.length}, distinct ${distinct}, re-sent writes caught by dedupe ${caught}`);
  expect(results).toHaveLength(total);
  expect(distinct).toBe(total);
  expect(ids).toHaveLength(total);
}, 60_000);

it('a dedupe record costs about 240 bytes of Redis memory per message while its window lasts', async () => {
  const s = await server({});
  const t = createRedisTransport({ url: s.url, namespace: uniquePrefix('dedupe-memory') });
  open.push(t);
  const a = admin(s.url);
  const used = async () => Number(/used_memory:(\d+)/.exec(await a.info('memory'))![1]);
  const n = 20_000;
  const batch = (offset: number) => Array.from({ length: 1_000 }, (_, i) => tick(offset + i));
  await t.publish('plain', tick(-1), { dedupeWindowMs: 0 });
  await t.publish('deduped', tick(-2));
  const m0 = await used();
  for (let i = 0; i < n; i += 1_000) await t.publishBatch('plain', batch(i), { dedupeWindowMs: 0 });
  const m1 = await used();
  for (let i = 0; i < n; i += 1_000) await t.publishBatch('deduped', batch(i));
  const m2 = await used();
  const perMessage = (m2 - m1 - (m1 - m0)) / n;
  const records = (await a.keys('*:dedupe:*')).length;
  console.log(`dedupe memory: ${n} publishes, stream alone ${((m1 - m0) / n).toFixed(0)} B/msg, with dedupe ${((m2 - m1) / n).toFixed(0)} B/msg: the record costs ${perMessage.toFixed(0)} B/msg (${records} records)`);
  expect(records).toBe(n + 1);
  expect(perMessage).toBeGreaterThan(200);
  expect(perMessage).toBeLessThan(280);
}, 60_000);
