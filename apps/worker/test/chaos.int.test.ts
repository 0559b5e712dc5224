import { afterEach, expect, inject, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEnvelope } from '@agentbus/schema';
import { createReliability } from '@agentbus/reliability';
import { createRedisTransport, type Transport } from '@agentbus/transport';
import { exited, outputLines, spawnTs, uniquePrefix } from '@agentbus/test-utils';

const here = path.dirname(fileURLToPath(import.meta.url));
const main = path.resolve(here, '../src/main.ts');
const handlerFile = path.join(here, 'fixtures/chaos-handler.mjs');

const WORKERS = 3;
const RATE_PER_S = 100;
const PRODUCE_MS = 10_000;
const KILL_EVERY_MS = 2_000;
const CLAIM_IDLE_MS = 1_000;
const CLAIM_INTERVAL_MS = 250;
// Scheduling noise on a shared machine (a restarted worker compiles its sources meanwhile), the
// handler's own 30 ms and the 25 ms polling of this test.
const SLACK_MS = 750;

interface Slot {
  child: ChildProcess;
  out: string[];
}

const children: ChildProcess[] = [];
let transport: Transport | undefined;
afterEach(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await Promise.all(children.map((c) => exited(c)));
  children.length = 0;
  await transport?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

it(
  'chaos: 3 worker processes, one killed -9 and restarted every 2 s while 100 msg/s flow; after the last kill every pending entry is handled within claimIdleMs + claimIntervalMs',
  async () => {
    const url = inject('redisUrl');
    const namespace = uniquePrefix('chaos');
    transport = createRedisTransport({ url, namespace });
    const env: NodeJS.ProcessEnv = { ...process.env, REDIS_URL: url, REDIS_NAMESPACE: namespace };
    // Each process gets a fresh host-pid name, as pods of a Deployment do: its entries can only
    // come back through reclaim, and its name must be reaped.
    for (const k of ['REDIS_CONSUMER', 'WORKER_CONSUMER', 'KUBERNETES_SERVICE_HOST']) delete env[k];
    const args = [
      '--topic', 'chaos', '--group', 'g', '--handler', handlerFile, '--port', '0', '--concurrency', '8',
      '--claim-idle', `${CLAIM_IDLE_MS}ms`, '--claim-interval', `${CLAIM_INTERVAL_MS}ms`, '--retry-delays', '100ms',
    ];
    const outputs: string[][] = [];
    const spawnWorker = (): Slot => {
      const child = spawnTs(main, args, { env });
      children.push(child);
      const out = outputLines(child);
      outputs.push(out);
      return { child, out };
    };
    const startedName = (slot: Slot): string | undefined => {
      const line = slot.out.find((l) => l.includes('"worker started"'));
      return line ? (JSON.parse(line) as { consumer: string }).consumer : undefined;
    };
    const slots = Array.from({ length: WORKERS }, spawnWorker);
    const t0 = Date.now();
    while (slots.some((s) => !startedName(s))) {
      if (Date.now() - t0 > 30_000) throw new Error('workers did not start');
      await sleep(50);
    }

    const sent = Math.round((RATE_PER_S * PRODUCE_MS) / 1000);
    const start = Date.now();
    const producer = (async () => {
      for (let n = 0; n < sent; n++) {
        await sleep(start + (n * 1000) / RATE_PER_S - Date.now());
        await transport!.publish('chaos', createEnvelope({ type: 'job', from: 'chaos', payload: { n } }));
      }
    })();
    let kills = 0;
    let lastKill = 0;
    let pendingAtLastKill = 0;
    for (let at = KILL_EVERY_MS; at <= PRODUCE_MS; at += KILL_EVERY_MS) {
      await sleep(start + at - Date.now());
      const i = kills % WORKERS;
      slots[i]!.child.kill('SIGKILL');
      await exited(slots[i]!.child);
      lastKill = Date.now();
      kills++;
      if (at + KILL_EVERY_MS > PRODUCE_MS) {
        pendingAtLastKill = (await transport.stats('chaos')).groups.find((x) => x.name === 'g')?.pending ?? 0;
      }
      slots[i] = spawnWorker();
    }
    await producer;

    const handledIds = () => outputs.flatMap((o) => o.filter((l) => l.startsWith('handled ')).map((l) => Number(l.slice(8))));
    const reliability = createReliability(transport);
    const deadIds = async () =>
      (await reliability.deadLetters.list('chaos', { count: 10_000 })).map((d) => (JSON.parse(d.raw) as { payload: { n: number } }).payload.n);
    let recoveredAt = 0;
    while (Date.now() - lastKill < 30_000) {
      const g = (await transport.stats('chaos')).groups.find((x) => x.name === 'g');
      const done = new Set([...handledIds(), ...(await deadIds())]);
      if (g && g.pending === 0 && g.lag === 0 && done.size >= sent && (await reliability.delayed('chaos', 'g')) === 0) {
        recoveredAt = Date.now();
        break;
      }
      await sleep(25);
    }
    const recoveryMs = recoveredAt === 0 ? Infinity : recoveredAt - lastKill;

    // Dead workers' names leave the group once their entries are reclaimed: within reapIdleMs
    // (4 x claimIdleMs) of their last activity, at the next reclaim pass.
    const live = new Set<string>();
    const reapBy = Date.now() + 4 * CLAIM_IDLE_MS + 2 * CLAIM_INTERVAL_MS + 5_000;
    let consumers: string[] = [];
    while (Date.now() < reapBy) {
      for (const s of slots) {
        const name = startedName(s);
        if (name) live.add(name);
      }
      consumers = (await transport.stats('chaos')).groups.find((x) => x.name === 'g')?.consumers.map((c) => c.name) ?? [];
      if (live.size === WORKERS && consumers.every((c) => live.has(c))) break;
      await sleep(100);
    }
    const reapedMs = Date.now() - lastKill;

    const handled = handledIds();
    const unique = new Set(handled);
    const dead = await deadIds();
    const lost = Array.from({ length: sent }, (_, n) => n).filter((n) => !unique.has(n) && !dead.includes(n));
    console.log(
      `chaos tally: sent ${sent}, handled ${unique.size}, duplicates ${handled.length - unique.size}, dead-lettered ${dead.length}, lost ${lost.length}, ` +
        `kills ${kills}, pending at the last kill ${pendingAtLastKill}, recovery ${recoveryMs} ms (bound ${CLAIM_IDLE_MS + CLAIM_INTERVAL_MS + SLACK_MS} ms), ` +
        `dead workers' names gone ${reapedMs} ms after the last kill (${consumers.length} names left, of ${kills + WORKERS})`,
    );
    await reliability.close();
    expect(lost).toEqual([]);
    expect(recoveryMs).toBeLessThanOrEqual(CLAIM_IDLE_MS + CLAIM_INTERVAL_MS + SLACK_MS);
    expect(consumers.filter((c) => !live.has(c))).toEqual([]);
  },
  120_000,
);
