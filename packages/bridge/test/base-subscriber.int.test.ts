import { afterAll, beforeAll, expect, inject, it, vi } from 'vitest';
import { createEnvelope, l1Topic } from '@agentbus/schema';
import { PermanentError } from '@agentbus/reliability';
import { createRedisTransport, type Transport } from '@agentbus/transport';
import { uniquePrefix } from '@agentbus/test-utils';
import { BaseSubscriber, createRelay, recordL1Many, type BaseSubscriberOptions, type L2Message, type MessageOutcome, type Relay } from '../src/index';
import { freshDatabase, l1Event, type TestDatabase } from './helpers';

const seq = (m: L2Message) => m.event.data.seq as number;

/** Fails some messages on purpose and records what it saw. */
class Recorder extends BaseSubscriber {
  readonly done = new Set<number>();
  readonly firstAttemptOrder: number[] = [];
  readonly batchSizes: number[] = [];
  readonly attempts = new Map<number, number>();

  constructor(options: BaseSubscriberOptions) {
    super(options);
  }

  protected process(m: L2Message): boolean {
    const n = seq(m);
    this.attempts.set(n, (this.attempts.get(n) ?? 0) + 1);
    if (m.attempt === 1) this.firstAttemptOrder.push(n);
    if (n === 10 && m.attempt === 1) return false; // fails once, then succeeds on retry
    if (n === 20) return false; // fails every time: dead-lettered after the last attempt
    if (n === 30) throw new PermanentError('cannot ever handle 30'); // dead-lettered at once
    this.done.add(n);
    return true;
  }

  protected override async processBatch(messages: readonly L2Message[]): Promise<readonly MessageOutcome[]> {
    this.batchSizes.push(messages.length);
    // A batch-wide failure (the database behind it was down): every message of the batch is retried.
    if (messages.some((m) => seq(m) === 140 && m.attempt === 1)) throw new Error('bulk write failed');
    return super.processBatch(messages);
  }
}

let db: TestDatabase;
let transport: Transport;
let relay: Relay;
let sub: Recorder;
beforeAll(async () => {
  db = await freshDatabase('subscriber');
  transport = createRedisTransport({ url: inject('redisUrl'), namespace: uniquePrefix('sub') });
  relay = createRelay({ pool: db.pool, transport, pollIntervalMs: 100 });
});
afterAll(async () => {
  await sub?.stop();
  await relay?.close();
  await transport?.close();
  await db?.close();
});

it('processes in batches, acks successes, retries failures and dead-letters what keeps failing', async () => {
  const total = 300;
  await recordL1Many(db.pool, Array.from({ length: total }, (_, i) => l1Event('work', i)));
  // Something on the topic that is not an L1 event: dead-lettered without reaching process().
  await transport.publish(l1Topic('work'), createEnvelope({ type: 'junk', from: 'test', payload: { hello: 1 } }));

  sub = new Recorder({
    transport,
    modules: ['work', 'work'],
    group: 'recorder',
    batchSize: 50,
    batchWaitMs: 20,
    retry: { delaysMs: [50], maxAttempts: 3, jitter: 0 },
  });
  await sub.start();
  await sub.start(); // idempotent

  const expected = Array.from({ length: total }, (_, i) => i).filter((n) => n !== 20 && n !== 30);
  await vi.waitFor(() => expect(sub.done.size).toBe(expected.length), { timeout: 20_000, interval: 50 });
  await vi.waitFor(async () => expect(await sub.deadLetters()!.depth(l1Topic('work'))).toBe(3), { timeout: 10_000, interval: 50 });

  const dead = await sub.deadLetters()!.list(l1Topic('work'));
  const reasons = dead.map((d) => d.error);
  expect(reasons).toHaveLength(3);
  expect(reasons).toEqual(
    expect.arrayContaining(['Recorder.process returned false', 'cannot ever handle 30', expect.stringMatching(/^not an L1 event/)]),
  );
  expect(sub.attempts.get(20)).toBe(3);
  expect(sub.attempts.get(30)).toBe(1);
  expect(sub.attempts.get(10)).toBe(2);
  expect(sub.attempts.get(140)).toBe(1); // its first attempt failed in processBatch, before process()
  // Batches really were batches, and first attempts came in stream order.
  expect(Math.max(...sub.batchSizes)).toBe(50);
  // (The batch holding 140 failed as a whole; its messages came back later as retries.)
  const firsts = sub.firstAttemptOrder.filter((n) => n < 90 || n > 190);
  expect(firsts).toEqual([...firsts].sort((a, b) => a - b));
  const c = sub.counters();
  expect(c.invalid).toBe(1);
  expect(c.succeeded).toBe(expected.length);
  expect(c.failed).toBeGreaterThanOrEqual(5);
  expect(c.batches).toBeGreaterThanOrEqual(6);
});

it('refuses bad options', () => {
  expect(() => new Recorder({ transport, modules: [], group: 'g' })).toThrow(/at least one source module/);
  expect(() => new Recorder({ transport, modules: ['x'], group: 'g', batchSize: 0 })).toThrow(/batchSize/);
  expect(() => new Recorder({ transport, modules: ['bad.module'], group: 'g' })).toThrow(/invalid source module/);
});
