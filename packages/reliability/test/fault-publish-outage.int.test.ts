import { afterAll, expect, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import { createEnvelope, ERROR_CODES, isAgentbusError, type Envelope } from '@agentbus/schema';
import { createRedisTransport } from '@agentbus/transport';
import { startRedis, uniquePrefix, type RedisServer } from '@agentbus/test-utils';
import { withCircuitBreaker, type BreakerTransport } from '../src/breaker-transport';

/**
 * A publisher that retries every rejected publish, as the READMEs tell callers to, through a 7 s
 * outage of a real redis-server (AOF, appendfsync always): killed with SIGKILL and restarted, or
 * stopped with SIGSTOP and resumed. Whatever the breaker, the spool and ioredis do meanwhile
 * (re-sent XADDs, timed-out writes that land later, retries of writes that had landed), the
 * stream must end with each message exactly once.
 */

const OUTAGE_MS = 7_000;
const TICK_MS = 10;
const PER_TICK = 5;
/** What the READMEs say a caller may retry; anything else is a lost message in this tally. */
const RETRIED: ReadonlySet<string> = new Set([
  ERROR_CODES.BACKPRESSURE,
  ERROR_CODES.CIRCUIT_OPEN,
  ERROR_CODES.INDETERMINATE,
  ERROR_CODES.CONNECTION_FAILED,
]);

const servers: RedisServer[] = [];
const buses: BreakerTransport[] = [];
afterAll(async () => {
  await Promise.all(buses.map((b) => b.close().catch(() => undefined)));
  await Promise.all(servers.map((s) => s.stop()));
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Tally {
  messages: number;
  attempts: number;
  /** Resolved with `duplicate: true`: a retry that met the write of an earlier attempt. */
  dedupedRetries: number;
  rejected: Record<string, number>;
  /** Rejected with a code not retried: the message is given up. */
  givenUp: string[];
}

/** A producer publishing through its own breaker transport, retrying what the READMEs say to retry. */
interface Producer {
  name: 'spool' | 'fail-fast';
  topic: string;
  bus: BreakerTransport;
  tally: Tally;
  sent: string[];
  deliveries: Array<Promise<void>>;
  states: Array<{ to: string; at: number }>;
}

/** Publishes `env` until it is written, retrying the codes the READMEs call retryable. */
async function deliver(p: Producer, env: Envelope): Promise<void> {
  for (;;) {
    p.tally.attempts++;
    try {
      const result = await p.bus.publish(p.topic, env);
      if (result.duplicate) p.tally.dedupedRetries++;
      return;
    } catch (error) {
      const code = isAgentbusError(error) ? error.code : 'not an AgentbusError';
      p.tally.rejected[code] = (p.tally.rejected[code] ?? 0) + 1;
      if (!RETRIED.has(code)) {
        p.tally.givenUp.push(`${code}: ${(error as Error).message}`);
        return;
      }
      const hint = (error as { retryAfterMs?: number }).retryAfterMs ?? 100;
      await sleep(Math.min(1_000, Math.max(10, hint)));
    }
  }
}

function producer(name: Producer['name'], url: string, namespace: string): Producer {
  // Connection settings left at their defaults (maxRetriesPerRequest 20, reconnect backoff up to 5 s).
  const bus = withCircuitBreaker(createRedisTransport({ url, namespace }), {
    breaker: { name, openMs: 1_000 },
    ...(name === 'spool' ? { spool: {} } : {}),
  });
  buses.push(bus);
  const states: Producer['states'] = [];
  bus.breaker.onStateChange((to) => states.push({ to, at: performance.now() }));
  const tally: Tally = { messages: 0, attempts: 0, dedupedRetries: 0, rejected: {}, givenUp: [] };
  return { name, topic: `orders-${name}`, bus, tally, sent: [], deliveries: [], states };
}

/** What the stream holds at the end, and what the breaker did, printed and returned. */
async function report(mode: string, p: Producer, url: string, downAt: number): Promise<{ entries: string[]; lost: number; openMs: number }> {
  const reader = new Redis(url);
  const raw = await reader.xrange(p.bus.keys.lane(p.topic, 'normal'), '-', '+');
  reader.disconnect();
  const entries = raw.map(([, fields]) => (JSON.parse(fields[1]!) as { id: string }).id);
  const distinct = new Set(entries);
  const lost = p.sent.filter((id) => !distinct.has(id)).length;
  const opened = p.states.find((x) => x.to === 'open' && x.at >= downAt);
  const openMs = opened ? opened.at - downAt : Number.NaN;
  const stats = p.bus.breaker.stats();
  console.log(
    `[${mode} ${p.name}] tally: messages ${p.sent.length}, attempts ${p.tally.attempts}, rejected ${JSON.stringify(p.tally.rejected)}, ` +
      `retries that met an earlier write (deduped) ${p.tally.dedupedRetries}, given up ${p.tally.givenUp.length}; ` +
      `stream entries ${entries.length}, distinct ${distinct.size}, duplicates ${entries.length - distinct.size}, lost ${lost}`,
  );
  console.log(
    `[${mode} ${p.name}] breaker opened ${Math.round(openMs)} ms after the outage began (${stats.opened}x, tripped by the connection ${stats.tripped}x, INDETERMINATE ${stats.indeterminate})`,
  );
  for (const g of p.tally.givenUp.slice(0, 3)) console.log(`  given up: ${g}`);
  return { entries, lost, openMs };
}

async function outage(mode: 'kill' | 'stop'): Promise<void> {
  const server = await startRedis('durable');
  servers.push(server);
  const namespace = uniquePrefix(`publish-outage-${mode}`);
  const producers = [producer('spool', server.url, namespace), producer('fail-fast', server.url, namespace)];

  let publishing = true;
  const loop = (async () => {
    while (publishing) {
      for (const p of producers) {
        for (let i = 0; i < PER_TICK; i++) {
          const env = createEnvelope({ type: 'order', from: p.name, payload: { n: p.tally.messages++ } });
          p.sent.push(env.id);
          p.deliveries.push(deliver(p, env));
        }
      }
      await sleep(TICK_MS);
    }
  })();

  await sleep(1_000);
  const downAt = performance.now();
  await server.kill(mode === 'kill' ? 'SIGKILL' : 'SIGSTOP');
  await sleep(OUTAGE_MS);
  const backAt = performance.now();
  if (mode === 'kill') await server.restart();
  else await server.kill('SIGCONT');
  const spooling = producers[0]!.bus;
  await vi.waitFor(
    () => {
      for (const p of producers) expect(p.bus.breaker.state()).toBe('closed');
      expect(spooling.spoolSize()).toBe(0);
    },
    { timeout: 30_000, interval: 20 },
  );
  const recoveredMs = performance.now() - backAt;
  console.log(`[${mode}] ${OUTAGE_MS} ms outage; both breakers closed and the spool empty ${Math.round(recoveredMs)} ms after ${mode === 'kill' ? 'the restart' : 'SIGCONT'}`);
  await sleep(500);
  publishing = false;
  await loop;
  for (const p of producers) await Promise.all(p.deliveries);

  for (const p of producers) {
    const { entries, lost, openMs } = await report(mode, p, server.url, downAt);
    const stats = p.bus.breaker.stats();
    expect(p.tally.givenUp).toEqual([]);
    expect(entries.length).toBe(p.sent.length);
    expect(new Set(entries).size).toBe(p.sent.length);
    expect(lost).toBe(0);
    if (mode === 'kill') {
      // The connection's close event trips it: no window of failed publishes to wait for.
      expect(openMs).toBeLessThan(1_000);
      expect(stats.tripped).toBeGreaterThanOrEqual(1);
    } else {
      // A stopped server closes no socket: timed-out writes (INDETERMINATE) open it.
      expect(openMs).toBeLessThan(4_000);
      expect(stats.indeterminate).toBeGreaterThan(0);
      // Some of those had been written: their retry met the record instead of writing again.
      expect(p.tally.dedupedRetries).toBeGreaterThan(0);
    }
  }
  expect(recoveredMs).toBeLessThan(10_000);
}

it('a retrying publisher through a 7 s outage (SIGKILL, restart with AOF): the breaker opens within 1 s, every message is in the stream once', async () => {
  await outage('kill');
}, 60_000);

it('a retrying publisher through a 7 s outage (SIGSTOP, SIGCONT): timed-out writes are INDETERMINATE, retried, and written once', async () => {
  await outage('stop');
}, 60_000);

it('the breaker opens on the connection dropping only with tripOnDisconnect (the default); false leaves it to the failure rate', async () => {
  const server = await startRedis({});
  servers.push(server);
  const namespace = uniquePrefix('trip-option');
  const on = withCircuitBreaker(createRedisTransport({ url: server.url, namespace }));
  const off = withCircuitBreaker(createRedisTransport({ url: server.url, namespace }), { tripOnDisconnect: false });
  buses.push(on, off);
  const env = () => createEnvelope({ type: 'order', from: 'shop', payload: {} });
  await Promise.all([on.publish('orders', env()), off.publish('orders', env())]);
  const killedAt = performance.now();
  await server.kill('SIGKILL');
  await vi.waitFor(() => expect(on.breaker.state()).toBe('open'), { timeout: 1_000, interval: 5 });
  console.log(`tripOnDisconnect: open ${Math.round(performance.now() - killedAt)} ms after SIGKILL was sent`);
  await sleep(200);
  expect(off.breaker.state()).toBe('closed');
  expect(off.breaker.stats().tripped).toBe(0);
  expect(on.breaker.stats().tripped).toBeGreaterThanOrEqual(1);
}, 20_000);
