import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Redis } from 'ioredis';
import { createRedisClient, type RedisClient } from '../src/index';
import { TRIM_STEP_LIMITS, redisTrimStep, type TrimStep } from '../src/redis/redis-trim';
import type { RetentionPolicy } from '../src/types';

const ENTRIES = 100_000;
const PAYLOAD = 'x'.repeat(2048);
const BATCH = 2_000;
/**
 * What one call may read besides the hard cap's ids: XINFO STREAM's first and last entry, one
 * XRANGE ... COUNT 1 probe per group, the head before and after a hard-cap step.
 */
const PROBES = 8;

type SlowlogEntry = [number, number, number, string[], string?, string?];

let client: RedisClient;
let redis: Redis;
let slowest: { micros: number; command: string } = { micros: -1, command: '' };
const restore: Array<[string, string]> = [];

beforeAll(async () => {
  client = createRedisClient({ url: inject('redisUrl') });
  redis = client as Redis;
  for (const name of ['slowlog-log-slower-than', 'slowlog-max-len']) {
    const [, value] = (await redis.call('CONFIG', 'GET', name)) as [string, string];
    restore.push([name, value]);
  }
  // Every command is logged, so the trim calls' own durations can be read back.
  await redis.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
  await redis.call('CONFIG', 'SET', 'slowlog-max-len', '10000');
});

afterAll(async () => {
  for (const [name, value] of restore) await redis.call('CONFIG', 'SET', name, value);
  console.log(`slowest command issued by the trim: ${slowest.command} (${slowest.micros} µs)`);
  redis.disconnect();
});

async function fill(stream: string, n: number, payload: string): Promise<void> {
  for (let done = 0; done < n; done += BATCH) {
    const pipeline = redis.pipeline();
    for (let i = 0; i < Math.min(BATCH, n - done); i++) pipeline.xadd(stream, '*', 'env', payload);
    await pipeline.exec();
  }
}

/** One trim call, with the slowest command it issued (from SLOWLOG) kept for the report. */
async function step(stream: string, dropped: string, policy: RetentionPolicy): Promise<TrimStep> {
  await redis.call('SLOWLOG', 'RESET');
  const result = await redisTrimStep(client, stream, dropped, policy, Date.now());
  const log = (await redis.call('SLOWLOG', 'GET', '10000')) as SlowlogEntry[];
  for (const [, , micros, args] of log) {
    if (!args.includes(stream) || micros <= slowest.micros) continue;
    slowest = { micros, command: args.slice(0, 6).map((a) => (a.length > 40 ? `${a.slice(0, 12)}...` : a)).join(' ') };
  }
  return result;
}

async function steps(stream: string, dropped: string, policy: RetentionPolicy): Promise<TrimStep[]> {
  const out: TrimStep[] = [];
  for (let round = 0; round < 200; round++) {
    const r = await step(stream, dropped, policy);
    out.push(r);
    if (!r.more) return out;
  }
  throw new Error('trim did not finish in 200 calls');
}

function keysOf(name: string): { stream: string; dropped: string } {
  const tag = `{tb-${name}-${process.pid}-${Date.now().toString(36)}}`;
  return { stream: `${tag}:stream`, dropped: `${tag}:dropped` };
}

describe('retention on a large backlog does bounded work per call', () => {
  it('100k entries of 2 KiB with one pending entry at the head', { timeout: 120_000 }, async () => {
    const { stream, dropped } = keysOf('big');
    await fill(stream, ENTRIES, PAYLOAD);
    // Everything delivered and acked except the head, which stays pending.
    await redis.xgroup('CREATE', stream, 'g', '$');
    const [[head]] = (await redis.xrange(stream, '-', '+', 'COUNT', 1)) as Array<[string, string[]]> as [[string, string[]]];
    await redis.call('XCLAIM', stream, 'g', 'c', '0', head, 'FORCE', 'JUSTID');

    // The pending head bounds every policy: nothing goes, and nothing is loaded to find that out.
    const blocked = await step(stream, dropped, { maxLen: 1_000, maxAgeMs: 1 });
    expect(blocked).toMatchObject({ trimmed: 0, droppedUnacked: 0, more: false, maxLenRule: 'minid-bound' });
    expect(blocked.examined).toBeLessThanOrEqual(PROBES);
    expect(await redis.xlen(stream)).toBe(ENTRIES);

    // The hard cap goes past it, a bounded step per call, and counts the one entry dropped unacked.
    const capped = await steps(stream, dropped, { hardMaxLen: 90_000 });
    for (const r of capped) {
      expect(r.examined).toBeLessThanOrEqual(TRIM_STEP_LIMITS.hardIds + PROBES);
      expect(r.trimmed).toBeLessThanOrEqual(TRIM_STEP_LIMITS.hardIds);
    }
    expect(capped.reduce((n, r) => n + r.trimmed, 0)).toBe(10_000);
    expect(capped.reduce((n, r) => n + r.droppedUnacked, 0)).toBe(1);
    expect(await redis.get(dropped)).toBe('1');

    // Once the head is settled, maxLen trims down to the limit, at most a LIMIT's worth per call.
    await redis.xack(stream, 'g', head);
    const down = await steps(stream, dropped, { maxLen: 1_000 });
    for (const r of down) {
      expect(r.examined).toBeLessThanOrEqual(PROBES);
      expect(r.trimmed).toBeLessThanOrEqual(TRIM_STEP_LIMITS.policyEntries + TRIM_STEP_LIMITS.nodeEntries);
      expect(r.maxLenRule).toBe('maxlen');
    }
    expect(down.reduce((n, r) => n + r.trimmed, 0)).toBe(89_000);
    expect(await redis.xlen(stream)).toBe(1_000);

    console.log(
      [
        `pending head: examined ${blocked.examined}, trimmed ${blocked.trimmed}`,
        `hard cap: ${capped.length} calls, examined max ${Math.max(...capped.map((r) => r.examined))}, trimmed ${capped.map((r) => r.trimmed).join(',')}, dropped unacked ${capped.reduce((n, r) => n + r.droppedUnacked, 0)}`,
        `maxLen after the ack: ${down.length} calls, examined max ${Math.max(...down.map((r) => r.examined))}, trimmed ${down.map((r) => r.trimmed).join(',')}`,
      ].join('\n'),
    );
    await redis.del(stream, dropped);
  });

  it('the hard cap counts exactly when Redis cannot tell a lag: it walks a few ids per call', async () => {
    const { stream, dropped } = keysOf('walk');
    await fill(stream, 50, 'e');
    const ids = ((await redis.xrange(stream, '-', '+')) as Array<[string, string[]]>).map(([id]) => id);
    await redis.xgroup('CREATE', stream, 'g', '0');
    // A group moved into the middle without ENTRIESREAD has no known lag: entries 1-20 count as
    // delivered and acked, 21-50 as undelivered.
    await redis.call('XGROUP', 'SETID', stream, 'g', ids[19]!);
    const groups = (await redis.call('XINFO', 'GROUPS', stream)) as unknown[][];
    expect(groups[0]![groups[0]!.indexOf('lag') + 1]).toBeNull();

    const r = await steps(stream, dropped, { hardMaxLen: 10 });
    expect(r.reduce((n, s) => n + s.trimmed, 0)).toBe(40);
    expect(r.reduce((n, s) => n + s.droppedUnacked, 0)).toBe(20);
    for (const s of r) expect(s.examined).toBeLessThanOrEqual(TRIM_STEP_LIMITS.walkIds + PROBES);
    expect(await redis.xlen(stream)).toBe(10);
    await redis.del(stream, dropped);
  });

  it('an entry deleted with XDEL makes the hard cap walk, and it still counts only entries it dropped', async () => {
    const { stream, dropped } = keysOf('xdel');
    await fill(stream, 12, 'e');
    const ids = ((await redis.xrange(stream, '-', '+')) as Array<[string, string[]]>).map(([id]) => id);
    await redis.xgroup('CREATE', stream, 'g', '0');
    await redis.xreadgroup('GROUP', 'g', 'c', 'COUNT', 6, 'STREAMS', stream, '>');
    // Entry 3 was pending and is deleted: its pending record stays and must not be counted.
    await redis.xdel(stream, ids[2]!);
    await redis.xack(stream, 'g', ids[0]!, ids[1]!);
    // Left: 1 2 4 5 6 (4 5 6 pending), 7-12 undelivered. A cap of 4 drops 1 2 4 5 6 7 8: 5 unacked.
    const r = await steps(stream, dropped, { hardMaxLen: 4 });
    expect(r.reduce((n, s) => n + s.trimmed, 0)).toBe(7);
    expect(r.reduce((n, s) => n + s.droppedUnacked, 0)).toBe(5);
    await redis.del(stream, dropped);
  });
});
