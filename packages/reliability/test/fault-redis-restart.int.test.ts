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

it('fault 2: redis-server restarted (appendonly yes, appendfsync always) while producing and consuming: every message whose publish resolved is delivered', async () => {
  server = await startRedis('durable');
  const namespace = uniquePrefix('restart');
  const transport: Transport = createRedisTransport({ url: server.url, namespace, maxReconnectDelayMs: 200 });
  const rel = createReliability(transport);
  closing.push(transport, rel);
  const handled = new Set<number>();
  let deliveries = 0;
  const c = rel.consume('orders', (env) => {
    deliveries++;
    handled.add((env.payload as { n: number }).n);
  }, { group: 'g', concurrency: 20, claimIdleMs: 1000, claimIntervalMs: 500, onError: () => undefined });
  closing.push(c);
  await c.ready();

  const resolved = new Set<number>();
  let failed = 0;
  let n = 0;
  let producing = true;
  const producer = (async () => {
    while (producing) {
      const id = n++;
      try {
        await transport.publish('orders', createEnvelope({ type: 'order', from: 'shop', payload: { n: id } }));
        resolved.add(id);
      } catch {
        failed++; // not resolved: the producer knows it was not accepted
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  })();

  await vi.waitFor(() => expect(resolved.size).toBeGreaterThan(100), { timeout: 10_000 });
  await server.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 1500));
  await server.restart();
  const atRestart = n;
  await vi.waitFor(() => expect(resolved.size).toBeGreaterThan(atRestart + 200), { timeout: 20_000 });
  producing = false;
  await producer;

  await vi.waitFor(() => {
    const missing = [...resolved].filter((id) => !handled.has(id));
    expect(missing).toEqual([]);
  }, { timeout: 30_000, interval: 200 });
  const lost = [...resolved].filter((id) => !handled.has(id)).length;
  // Messages published after the restart were consumed too: the blocking reader reconnected.
  expect([...handled].some((id) => id > atRestart + 100)).toBe(true);
  console.log(`tally (appendfsync always): sent ${n}, resolved ${resolved.size}, failed ${failed}, handled ${handled.size}, duplicates ${deliveries - handled.size}, dead-lettered ${await rel.deadLetters.depth('orders')}, lost ${lost}`);
  expect(lost).toBe(0);
});
