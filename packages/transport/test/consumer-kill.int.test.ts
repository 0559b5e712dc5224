import { afterEach, expect, inject, it, vi } from 'vitest';
import { createEnvelope } from '@agentbus/schema';
import { createRedisTransport, type Transport } from '../src/index';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { outputLines, spawnTs } from '@agentbus/test-utils';

const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/consumer-process.ts');

let transport: Transport | undefined;
afterEach(async () => {
  await transport?.close();
});

it('a consumer killed with SIGKILL mid-batch loses nothing: another consumer reclaims its messages', async () => {
  const url = inject('redisUrl');
  const namespace = `t-kill-${process.pid}-${Date.now()}`;
  transport = createRedisTransport({ url, namespace });
  const sent = 300;
  await transport.publishBatch(
    'jobs',
    Array.from({ length: sent }, (_, n) => createEnvelope({ type: 'job', from: 'test', payload: { n } })),
  );

  const victim = spawnTs(fixture, [url, namespace, 'jobs', 'workers', 'victim', '20']);
  const victimOut = outputLines(victim);
  await vi.waitFor(() => expect(victimOut.filter((l) => l.startsWith('handled')).length).toBeGreaterThan(30), {
    timeout: 15_000,
    interval: 20,
  });
  victim.kill('SIGKILL');
  await new Promise((r) => victim.once('exit', r));

  const handled: number[] = victimOut.filter((l) => l.startsWith('handled')).map((l) => Number(l.split(' ')[1]));
  const byVictim = handled.length;
  const survivor = transport.consume(
    'jobs',
    (env) => {
      handled.push((env.payload as { n: number }).n);
    },
    { group: 'workers', consumer: 'survivor', claimIdleMs: 300, claimIntervalMs: 100, concurrency: 50 },
  );
  await vi.waitFor(async () => {
    const stats = await transport!.stats('jobs');
    expect(stats.groups[0]!.pending).toBe(0);
    expect(stats.groups[0]!.lag).toBe(0);
  }, { timeout: 15_000, interval: 100 });
  await survivor.close();

  const unique = new Set(handled);
  const lost = sent - unique.size;
  const duplicates = handled.length - unique.size;
  console.log(`tally: sent ${sent}, handled ${unique.size} (victim ${byVictim}, reclaimed ${survivor.counters().reclaimed}), duplicates ${duplicates}, lost ${lost}`);
  expect(lost).toBe(0);
  expect(survivor.counters().reclaimed).toBeGreaterThan(0);
});
