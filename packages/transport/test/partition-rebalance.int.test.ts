import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, inject, it, vi } from 'vitest';
import { createEnvelope } from '@agentbus/schema';
import { exited, outputLines, spawnTs, uniquePrefix } from '@agentbus/test-utils';
import { createRedisTransport, type Consumer, type Transport } from '../src/index';

const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/partition-consumer.ts');
const children: ChildProcess[] = [];
let transport: Transport | undefined;
const consumers: Consumer[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await Promise.all(consumers.splice(0).map((c) => c.close(0)));
  await transport?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Handled {
  key: string;
  seq: number;
  at: number;
}

function spawnConsumer(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; out: string[] } {
  const child = spawnTs(fixture, args, { env: { ...process.env, ...env } });
  children.push(child);
  return { child, out: outputLines(child) };
}

it('partitioned topic, consumers joining, leaving and killed every second while 10k keyed messages flow: per key, order never goes backwards', async () => {
  const url = inject('redisUrl');
  const namespace = uniquePrefix('rebalance');
  const topic = 'orders';
  const partitions = 8;
  transport = createRedisTransport({ url, namespace, topics: { [topic]: { partitions } } });
  const args = (name: string) => [url, namespace, topic, 'billing', name, String(partitions), '200'];
  const outs: string[][] = [];
  let serial = 0;
  const start = () => {
    const c = spawnConsumer(args(`c${serial++}`));
    outs.push(c.out);
    return c;
  };
  let live = [start(), start(), start()];
  await vi.waitFor(() => expect(live.every((c) => c.out.includes('ready'))).toBe(true), { timeout: 30_000, interval: 50 });

  const keys = 40;
  const total = 10_000;
  const seqs = new Map<string, number>();
  let sent = 0;
  let kills = 0;
  let leaves = 0;
  const publishing = (async () => {
    while (sent < total) {
      const batch = Array.from({ length: 100 }, () => {
        const key = `k${sent % keys}`;
        const seq = seqs.get(key) ?? 0;
        seqs.set(key, seq + 1);
        sent++;
        return { key, env: createEnvelope({ type: 'order', from: 'test', payload: { key, seq } }) };
      });
      await Promise.all(batch.map((b) => transport!.publish(topic, b.env, { partitionKey: b.key })));
      await sleep(80);
    }
  })();
  // Every second one consumer goes: killed (kill -9) or, every third time, leaving cleanly; one joins.
  while (sent < total) {
    await sleep(1_000);
    const victim = live[Math.floor(Math.random() * live.length)]!;
    if ((kills + leaves) % 3 === 2) {
      victim.child.kill('SIGTERM');
      leaves++;
    } else {
      victim.child.kill('SIGKILL');
      kills++;
    }
    await exited(victim.child);
    live = [...live.filter((c) => c !== victim), start()];
  }
  await publishing;
  try {
    await vi.waitFor(async () => {
      const s = await transport!.stats(topic);
      const g = s.groups.find((x) => x.name === 'billing');
      expect(g?.pending).toBe(0);
      expect(g?.lag).toBe(0);
    }, { timeout: 60_000, interval: 250 });
  } catch (error) {
    // What was stuck, for the report: per stream, and who holds each partition's lease.
    const s = await transport.stats(topic);
    const stuck = s.streams.filter((x) => x.groups.some((g) => g.pending > 0 || (g.lag ?? 0) > 0));
    const owners = await Promise.all(transport.partitionsOf(topic).map((t) => transport!.redis!.get(transport!.keys.group(t, 'billing', 'owner'))));
    const members = await transport.redis!.zrange(transport.keys.topic(topic, 'members'), '0', '-1');
    console.log('stuck', JSON.stringify(stuck.map((x) => ({ stream: x.stream, groups: x.groups }))), 'owners', owners, 'members', members, 'live', live.map((c) => c.out.filter((l) => l.startsWith('partitions')).at(-1)));
    throw error;
  }

  const handled: Handled[] = outs
    .flat()
    .filter((l) => l.startsWith('handled '))
    .map((l) => {
      const [, key, seq, at] = l.split(' ');
      return { key: key!, seq: Number(seq), at: Number(at) };
    })
    .sort((a, b) => a.at - b.at);
  // First runs of each key in increasing order; a rerun is of an entry already run (its ack was lost).
  const firstSeen = new Map<string, Set<number>>();
  const highest = new Map<string, number>();
  let backwards = 0;
  let reruns = 0;
  for (const h of handled) {
    const seen = firstSeen.get(h.key) ?? new Set<number>();
    firstSeen.set(h.key, seen);
    if (seen.has(h.seq)) {
      reruns++;
      continue;
    }
    if (h.seq < (highest.get(h.key) ?? -1)) backwards++;
    seen.add(h.seq);
    highest.set(h.key, Math.max(highest.get(h.key) ?? -1, h.seq));
  }
  const distinct = [...firstSeen.values()].reduce((n, s) => n + s.size, 0);
  console.log(
    `tally: sent ${total}, handled ${distinct}, duplicates ${reruns}, out of order ${backwards}, lost ${total - distinct}; consumers killed ${kills}, left ${leaves}, started ${serial}`,
  );
  expect(total - distinct).toBe(0);
  expect(backwards).toBe(0);
}, 180_000);

it('membership uses the Redis clock: a consumer whose clock is 10 s ahead still shares the partitions, none owned twice', async () => {
  const url = inject('redisUrl');
  const namespace = uniquePrefix('skew');
  const topic = 'orders';
  transport = createRedisTransport({ url, namespace, topics: { [topic]: { partitions: 8 } } });
  const ahead = spawnConsumer([url, namespace, topic, 'billing', 'ahead', '8', '200'], { AGENTBUS_TEST_SKEW_MS: '10000' });
  const local = transport.consume(topic, () => undefined, { group: 'billing', consumer: 'local', membershipIntervalMs: 200 });
  consumers.push(local);
  await local.ready();
  await vi.waitFor(() => expect(ahead.out).toContain('ready'), { timeout: 30_000, interval: 50 });
  // Neither heartbeat may drop the other as dead: both stay members the whole time.
  for (let i = 0; i < 10; i++) {
    expect((await transport.redis!.zrange(transport.keys.topic(topic, 'members'), '0', '-1')).sort()).toEqual(['billing|ahead', 'billing|local']);
    await sleep(100);
  }
  await vi.waitFor(() => {
    const theirs = ahead.out.filter((l) => l.startsWith('partitions ')).at(-1)?.slice('partitions '.length).split(',').filter(Boolean).map(Number) ?? [];
    const mine = local.partitions();
    expect(mine.length).toBe(4);
    expect(theirs.length).toBe(4);
    expect(mine.filter((p) => theirs.includes(p))).toEqual([]);
  }, { timeout: 10_000, interval: 100 });
}, 60_000);
