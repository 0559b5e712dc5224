import { afterAll, expect, inject, it, vi } from 'vitest';
import { createRedisTransport, type Transport } from '@agentbus/transport';
import { uniquePrefix } from '@agentbus/test-utils';
import { createRelay, recordL1, type Relay } from '../src/index';
import { freshDatabase, l1Event, outboxCount, seqOf, streamOf, type TestDatabase } from './helpers';

let db: TestDatabase | undefined;
const transports: Transport[] = [];
const relays: Relay[] = [];
afterAll(async () => {
  for (const r of relays) await r.close();
  for (const t of transports) await t.close();
  await db?.close();
});

it('two relays at once: no duplicate, per-module order kept', async () => {
  db = await freshDatabase('two');
  const url = inject('redisUrl');
  const namespace = uniquePrefix('two');
  // Each relay its own connections (as two processes would have); small batches so they contend.
  for (let i = 0; i < 2; i++) {
    const transport = createRedisTransport({ url, namespace });
    transports.push(transport);
    relays.push(createRelay({ pool: db.pool, transport, batchSize: 7, pollIntervalMs: 50 }));
  }
  await Promise.all(relays.map((r) => r.ready()));

  // One sequential writer per module (so each module's order is defined), all modules at once.
  const modules = ['alpha', 'beta', 'gamma', 'delta'];
  const perModule = 250;
  await Promise.all(
    modules.map(async (m) => {
      for (let seq = 0; seq < perModule; seq++) {
        await recordL1(db!.pool, l1Event(m, seq));
        if (seq % 50 === 0) await new Promise((r) => setTimeout(r, 5));
      }
    }),
  );
  await vi.waitFor(async () => expect(await outboxCount(db!.pool)).toBe(0), { timeout: 30_000, interval: 50 });

  const reader = transports[0]!;
  for (const m of modules) {
    expect((await streamOf(reader, m)).map(seqOf), `module ${m}`).toEqual(Array.from({ length: perModule }, (_, i) => i));
  }
  const [a, b] = relays.map((r) => r.stats());
  console.log(`tally: rows ${modules.length * perModule}, relay A ${a!.relayed} in ${a!.batches} batches, relay B ${b!.relayed} in ${b!.batches} batches, duplicates ${a!.duplicates + b!.duplicates}`);
  expect(a!.relayed + b!.relayed).toBe(modules.length * perModule);
  expect(a!.duplicates + b!.duplicates).toBe(0);
  // Both took part: the module locks split the work, they did not leave one relay idle.
  expect(a!.relayed).toBeGreaterThan(0);
  expect(b!.relayed).toBeGreaterThan(0);
});
