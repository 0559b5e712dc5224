import { afterEach, expect, it, vi } from 'vitest';
import { createEnvelope } from '@agentbus/schema';
import { createRedisTransport, type Transport } from '@agentbus/transport';
import { startRedis, uniquePrefix, type RedisServer } from '@agentbus/test-utils';
import { createReliability } from '../src/index';

let server: RedisServer | undefined;
const closing: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const c of closing.splice(0).reverse()) await c.close().catch(() => undefined);
  await server?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// A kill -9 of the process proves the AOF (appendonly), not fsync: the page cache keeps what
// redis-server wrote whatever appendfsync says (see the README's "Redis restarts").
it('fault 2: redis-server killed -9 and restarted (appendonly) under concurrent producers and slow handlers: every message whose publish resolved is delivered', async () => {
  server = await startRedis('durable');
  const namespace = uniquePrefix('restart');
  const transport: Transport = createRedisTransport({ url: server.url, namespace, maxReconnectDelayMs: 200 });
  const rel = createReliability(transport);
  closing.push(transport, rel);
  const handled = new Set<number>();
  let deliveries = 0;
  let running = 0;
  const c = rel.consume('orders', async (env) => {
    deliveries++;
    running++;
    // Slow enough that entries are running and buffered when Redis dies.
    await sleep(20);
    handled.add((env.payload as { n: number }).n);
    running--;
    // 4 at a time, 20 ms each (~200/s) behind producers several times faster: a backlog waits
    // in Redis at the kill, which only persistence keeps.
  }, { group: 'g', concurrency: 4, prefetch: 4, claimIdleMs: 1000, claimIntervalMs: 500, onError: () => undefined });
  closing.push(c);
  await c.ready();

  const resolved = new Set<number>();
  let failed = 0;
  let inFlightPublishes = 0;
  let n = 0;
  let producing = true;
  // Four producers, no pause: publishes are in flight when Redis is killed.
  const producers = Array.from({ length: 4 }, async () => {
    while (producing) {
      const id = n++;
      inFlightPublishes++;
      try {
        await transport.publish('orders', createEnvelope({ type: 'order', from: 'shop', payload: { n: id } }));
        resolved.add(id);
      } catch {
        failed++; // not resolved: the producer knows it was not accepted
      } finally {
        inFlightPublishes--;
      }
      await sleep(1);
    }
  });

  await vi.waitFor(() => expect(resolved.size).toBeGreaterThan(500), { timeout: 15_000 });
  const atKill = (await transport.stats('orders')).groups.find((g) => g.name === 'g');
  const pendingAtKill = atKill?.pending ?? 0;
  const lagAtKill = atKill?.lag ?? 0;
  const runningAtKill = running;
  await server.kill('SIGKILL');
  await sleep(1500);
  // Publishes sent into the outage wait (ioredis queues them) or fail: either way not resolved yet.
  const publishesInOutage = inFlightPublishes;
  await server.restart();
  const atRestart = n;
  await vi.waitFor(() => expect(resolved.size).toBeGreaterThan(atRestart + 200), { timeout: 30_000 });
  producing = false;
  await Promise.all(producers);

  // Settled is the group's view (nothing pending, nothing unread), not "nothing missing": a
  // message lost in Redis would settle too, and is counted below.
  await vi.waitFor(async () => {
    const g = (await transport.stats('orders')).groups.find((x) => x.name === 'g');
    expect(g).toMatchObject({ pending: 0, lag: 0 });
    expect(running).toBe(0);
  }, { timeout: 45_000, interval: 250 });
  const lost = [...resolved].filter((id) => !handled.has(id)).length;
  const dead = await rel.deadLetters.depth('orders');
  console.log(
    `tally (appendonly, kill -9): sent ${n}, resolved ${resolved.size}, failed ${failed}, handled ${handled.size}, deliveries ${deliveries}, duplicates ${deliveries - handled.size}, dead-lettered ${dead}, lost ${lost}; at the kill: unread ${lagAtKill}, pending ${pendingAtKill}, running ${runningAtKill}; publishes waiting in the outage ${publishesInOutage}`,
  );
  // The kill hit work in progress: entries pending, and publishes outstanding through the outage.
  expect(pendingAtKill).toBeGreaterThan(0);
  expect(lagAtKill).toBeGreaterThan(0);
  expect(publishesInOutage + failed).toBeGreaterThan(0);
  // Messages published after the restart were consumed too: the reader reconnected.
  expect([...handled].some((id) => id > atRestart + 100)).toBe(true);
  expect(dead).toBe(0);
  expect(lost).toBe(0);
}, 120_000);
