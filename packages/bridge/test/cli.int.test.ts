import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createRedisTransport, type Transport } from '@agentbus/transport';
import { exited, outputLines, spawnTs, uniquePrefix } from '@agentbus/test-utils';
import { recordL1Many, runCli } from '../src/index';
import { freshDatabase, l1Event, outboxCount, seqOf, streamOf, type TestDatabase } from './helpers';

const bin = path.join(path.dirname(fileURLToPath(import.meta.url)), '../src/cli.ts');

function io(env: NodeJS.ProcessEnv, signal?: AbortSignal) {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { env, out: (l: string) => void out.push(l), err: (l: string) => void err.push(l), ...(signal ? { signal } : {}) } };
}

let db: TestDatabase;
let transport: Transport;
let namespace: string;
beforeAll(async () => {
  db = await freshDatabase('cli', false);
  namespace = uniquePrefix('cli');
  transport = createRedisTransport({ url: inject('redisUrl'), namespace });
});
afterAll(async () => {
  await transport?.close();
  await db?.close();
});

describe('agentbus-bridge', () => {
  it('migrate: applies the schema, then reports it up to date', async () => {
    const first = io({ DATABASE_URL: db.url });
    expect(await runCli(['migrate'], first.io)).toBe(0);
    expect(first.out).toEqual(['migrated: applied 1, 2; schema at version 2']);
    const again = io({ DATABASE_URL: db.url });
    expect(await runCli(['migrate'], again.io)).toBe(0);
    expect(again.out).toEqual(['up to date: schema at version 2']);
  });

  it('relay: runs until its signal aborts, then stops cleanly', async () => {
    const stop = new AbortController();
    const r = io({ DATABASE_URL: db.url, REDIS_URL: inject('redisUrl'), REDIS_NAMESPACE: namespace, BRIDGE_POLL_INTERVAL_MS: '100' }, stop.signal);
    const running = runCli(['relay', '--migrate', '--batch-size', '10', '--poll-interval-ms', '100', '--pubsub'], r.io);
    await vi.waitFor(() => expect(r.out.some((l) => l.startsWith('relay: ready'))).toBe(true), { timeout: 10_000, interval: 20 });
    await recordL1Many(db.pool, Array.from({ length: 25 }, (_, i) => l1Event('cli', i)));
    await vi.waitFor(async () => expect((await streamOf(transport, 'cli')).length).toBe(25), { timeout: 10_000 });
    stop.abort();
    expect(await running).toBe(0);
    expect(r.out.at(-1)).toMatch(/^relay: stopped; relayed 25 /);
  });

  it('the bin: a real process, SIGTERM stops it with exit 0', async () => {
    const child = spawnTs(bin, ['relay'], {
      env: { ...process.env, DATABASE_URL: db.url, REDIS_URL: inject('redisUrl'), REDIS_NAMESPACE: namespace, BRIDGE_MIGRATE: '1' },
    });
    const out = outputLines(child);
    await vi.waitFor(() => expect(out.some((l) => l.startsWith('relay: ready'))).toBe(true), { timeout: 30_000, interval: 20 });
    await recordL1Many(db.pool, Array.from({ length: 5 }, (_, i) => l1Event('cli', 25 + i)));
    await vi.waitFor(async () => expect(await outboxCount(db.pool)).toBe(0), { timeout: 10_000 });
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    expect(out.some((l) => l.startsWith('relay: stopped; relayed 5 '))).toBe(true);
    expect((await streamOf(transport, 'cli')).map(seqOf)).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it('usage and configuration errors', async () => {
    const help = io({});
    expect(await runCli(['--help'], help.io)).toBe(0);
    expect(help.out[0]).toMatch(/^usage: agentbus-bridge/);
    expect(await runCli([], io({}).io)).toBe(1);
    const unknown = io({});
    expect(await runCli(['frobnicate'], unknown.io)).toBe(2);
    expect(unknown.err[0]).toMatch(/unknown command "frobnicate"/);
    const noDb = io({});
    expect(await runCli(['migrate'], noDb.io)).toBe(1);
    expect(noDb.err[0]).toMatch(/DATABASE_URL is not set/);
    const noRedis = io({ DATABASE_URL: db.url });
    expect(await runCli(['relay'], noRedis.io)).toBe(2);
    expect(noRedis.err[0]).toMatch(/relay needs Redis/);
    const badFlag = io({ DATABASE_URL: db.url, REDIS_URL: 'redis://127.0.0.1:1' });
    expect(await runCli(['relay', '--batch-size', 'lots'], badFlag.io)).toBe(2);
    expect(badFlag.err[0]).toMatch(/--batch-size must be a whole number/);
    const unknownFlag = io({ DATABASE_URL: db.url });
    expect(await runCli(['relay', '--nope'], unknownFlag.io)).toBe(2);
  });
});
