import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, inject, it, vi } from 'vitest';
import { createRedisTransport, type Transport } from '@agentbus/transport';
import { exited, outputLines, spawnTs, uniquePrefix } from '@agentbus/test-utils';
import { createRelay, recordL1Many, type Relay } from '../src/index';
import { freshDatabase, l1Event, outboxCount, seqOf, streamOf, type TestDatabase } from './helpers';

const child = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/relay-child.ts');
let db: TestDatabase | undefined;
let transport: Transport | undefined;
let survivor: Relay | undefined;

afterAll(async () => {
  await survivor?.close();
  await transport?.close();
  await db?.close();
});

it('a relay killed (kill -9) between XADD and marking its rows: still exactly one event per row', async () => {
  db = await freshDatabase('kill');
  const url = inject('redisUrl');
  const namespace = uniquePrefix('kill');
  transport = createRedisTransport({ url, namespace });
  await recordL1Many(db.pool, Array.from({ length: 50 }, (_, i) => l1Event('killed', i)));

  const victim = spawnTs(child, [db.url, url, namespace, 'pause-after-xadd']);
  const out = outputLines(victim);
  await vi.waitFor(() => expect(out).toContain('published 50'), { timeout: 30_000, interval: 20 });
  // The child is stopped after its XADDs and before its DELETE: all 50 are in the stream and
  // all 50 rows are still in the outbox.
  expect((await streamOf(transport, 'killed')).length).toBe(50);
  expect(await outboxCount(db.pool)).toBe(50);
  victim.kill('SIGKILL');
  expect(await exited(victim)).toBe('SIGKILL');
  // PostgreSQL sees the socket close, rolls the batch back and frees the module lock.
  await vi.waitFor(async () => {
    const { rows } = await db!.pool.query("SELECT 1 FROM pg_stat_activity WHERE application_name = 'bridge-relay-child'");
    expect(rows).toHaveLength(0);
  }, { timeout: 10_000, interval: 50 });

  survivor = createRelay({ pool: db.pool, transport, pollIntervalMs: 100 });
  await survivor.ready();
  await recordL1Many(db.pool, Array.from({ length: 10 }, (_, i) => l1Event('killed', 50 + i)));
  await vi.waitFor(async () => expect(await outboxCount(db!.pool)).toBe(0), { timeout: 10_000 });

  const seqs = (await streamOf(transport, 'killed')).map(seqOf);
  const duplicates = survivor.stats().duplicates;
  console.log(`tally: rows 60, stream entries ${seqs.length}, re-published and deduped ${duplicates}, lost ${60 - new Set(seqs).size}`);
  expect(seqs).toEqual(Array.from({ length: 60 }, (_, i) => i));
  expect(duplicates).toBe(50);
});
