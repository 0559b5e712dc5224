import { afterEach, expect, inject, it, vi } from 'vitest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEnvelope } from '@agentbus/schema';
import { createRedisTransport, type Transport } from '@agentbus/transport';
import { exited, outputLines, spawnTs, uniquePrefix } from '@agentbus/test-utils';
import { createReliability } from '../src/index';

const worker = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/reliable-worker.ts');
let transport: Transport | undefined;
afterEach(async () => {
  await transport?.close();
});

it('fault 1: kill -9 a worker process mid-batch; another consumer reclaims and every message is handled', async () => {
  const url = inject('redisUrl');
  const namespace = uniquePrefix('kill');
  transport = createRedisTransport({ url, namespace });
  const sent = 400;
  await transport.publishBatch('jobs', Array.from({ length: sent }, (_, n) => createEnvelope({ type: 'job', from: 'test', payload: { n } })));

  const victim = spawnTs(worker, [url, namespace, 'jobs', 'workers', 'victim', '15']);
  const out = outputLines(victim);
  await vi.waitFor(() => expect(out.filter((l) => l.startsWith('handled')).length).toBeGreaterThan(50), { timeout: 20_000, interval: 20 });
  victim.kill('SIGKILL');
  expect(await exited(victim)).toBe('SIGKILL');

  const handled = out.filter((l) => l.startsWith('handled')).map((l) => Number(l.split(' ')[1]));
  const rel = createReliability(transport);
  const survivor = rel.consume('jobs', (env) => void handled.push((env.payload as { n: number }).n), {
    group: 'workers',
    consumer: 'survivor',
    claimIdleMs: 300,
    claimIntervalMs: 100,
    concurrency: 50,
  });
  await vi.waitFor(async () => {
    const s = await transport!.stats('jobs');
    expect(s.groups[0]).toMatchObject({ pending: 0, lag: 0 });
  }, { timeout: 20_000, interval: 100 });
  await survivor.close();
  await rel.close();

  const unique = new Set(handled);
  const dead = await rel.deadLetters.depth('jobs');
  console.log(`tally: sent ${sent}, handled ${unique.size}, duplicates ${handled.length - unique.size}, dead-lettered ${dead}, lost ${sent - unique.size}`);
  expect(sent - unique.size).toBe(0);
  expect(dead).toBe(0);
  expect(survivor.counters().reclaimed).toBeGreaterThan(0);
});
