import type { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { uniquePrefix } from '@agentbus/test-utils';
import { createRedisTransport, type Transport } from '@agentbus/transport';
import { ANNOUNCEMENTS_ID, type ChatDelivery, type EventFrame, type HistoryFrame } from '../src/index';
import { SETTLE, TOKENS, cleanup, client, rawSocket, redisTransport, startHub, type RawSocket } from './helpers';

afterEach(cleanup);

/**
 * A transport whose connections wait `retryMs` before reconnecting (the subscriber the store
 * duplicates from it too), so a test can publish while its Pub/Sub connection is down.
 */
function slowReconnectTransport(namespace: string, name: string, retryMs: number): Transport {
  const t = createRedisTransport({ url: inject('redisUrl'), namespace, redis: { retryStrategy: () => retryMs, connectionName: name } });
  return t;
}

/** The Redis client entries (CLIENT LIST) of Pub/Sub connections whose name contains `name`. */
async function subscribers(redis: Redis, name: string): Promise<{ id: string; name: string }[]> {
  const list = (await redis.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string;
  return list
    .split('\n')
    .filter(Boolean)
    .map((line) => Object.fromEntries(line.split(' ').map((kv) => kv.split('=') as [string, string])))
    .filter((c) => (c.name ?? '').includes(name) && Number(c.sub) > 0)
    .map((c) => ({ id: c.id as string, name: c.name as string }));
}

async function killSubscriber(redis: Redis, name: string): Promise<void> {
  const subs = await vi.waitFor(async () => {
    const s = await subscribers(redis, name);
    if (s.length !== 1) throw new Error(`expected one subscriber named like ${name}, got ${JSON.stringify(s)}`);
    return s;
  }, SETTLE);
  expect(await redis.call('CLIENT', 'KILL', 'ID', subs[0]!.id)).toBe(1);
}

/** Seqs of the kept events a raw socket received for one conversation, history and live, in arrival order. */
function seqsOf(s: RawSocket, conversationId: string): string[] {
  const out: string[] = [];
  const of = (e: EventFrame) => (e.env.type === 'system.announcement' ? ANNOUNCEMENTS_ID : (e.env.payload as { channelId?: string }).channelId);
  for (const f of s.frames) {
    if (f.type === 'event' && f.seq !== undefined && of(f) === conversationId) out.push(f.seq);
    if (f.type === 'history' && f.channelId === conversationId) out.push(...f.events.map((e) => e.seq!));
  }
  return out;
}

describe('the hub’s own Pub/Sub connection drops and comes back', () => {
  it('events published meanwhile through another hub reach its clients once, in order: channel, direct and announcement', { timeout: 30_000 }, async () => {
    const namespace = uniquePrefix('resub');
    const logs: string[] = [];
    const a = await startHub({ transport: slowReconnectTransport(namespace, 'hub-a-conn', 1500), hubId: 'hub-a', log: (l) => logs.push(l) });
    const b = await startHub({ transport: redisTransport(namespace), hubId: 'hub-b' });
    const admin = b.transport.redis as Redis;

    // bob and eve on hub A (a raw socket: it shows duplicates the typed client would hide), bot on hub B.
    const bob = await rawSocket(a.ws);
    await bob.hello(TOKENS.bob, { recent: false });
    const eve = await rawSocket(a.ws);
    await eve.hello(TOKENS.eve, { recent: false });
    const bot = client(b.ws, TOKENS.bot);
    await bot.connect();
    const before = await bot.post('general', 'g0 before');
    await vi.waitFor(() => expect(seqsOf(bob, 'general')).toEqual([before.seq]), SETTLE);

    await killSubscriber(admin, 'hub-a');
    const gap = { general: [] as string[], dm: [] as string[], announcements: [] as string[], random: [] as string[] };
    for (const t of ['g1', 'g2', 'g3']) gap.general.push((await bot.post('general', `${t} while hub A is deaf`)).seq!);
    gap.dm.push((await bot.direct('bob', 'd1 while hub A is deaf')).seq!);
    gap.announcements.push((await bot.announce('a1 while hub A is deaf')).seq!);
    gap.random.push((await bot.post('random', 'r1 while hub A is deaf')).seq!);
    // A client connecting meanwhile waits for the hub to catch up, then resumes as usual.
    const ada = await rawSocket(a.ws);
    ada.send({ type: 'hello', token: TOKENS.ada, since: { general: before.seq } });
    // All of it was published while hub A had no subscriber: it is still reconnecting.
    expect(await subscribers(admin, 'hub-a')).toEqual([]);
    expect(ada.frames).toEqual([]);

    await vi.waitFor(() => expect(seqsOf(bob, 'general')).toEqual([before.seq, ...gap.general]), { timeout: 10_000, interval: 50 });
    await vi.waitFor(() => expect(seqsOf(bob, 'dm:bob:bot')).toEqual(gap.dm), SETTLE);
    await vi.waitFor(() => expect(seqsOf(bob, ANNOUNCEMENTS_ID)).toEqual(gap.announcements), SETTLE);
    await vi.waitFor(() => expect(seqsOf(eve, 'random')).toEqual(gap.random), SETTLE);
    await vi.waitFor(() => expect(seqsOf(eve, ANNOUNCEMENTS_ID)).toEqual(gap.announcements), SETTLE);

    // Live again, and nothing arrives twice.
    const after = await bot.post('general', 'g4 after');
    await vi.waitFor(() => expect(seqsOf(bob, 'general')).toEqual([before.seq, ...gap.general, after.seq]), SETTLE);
    await vi.waitFor(() => expect(seqsOf(ada, 'general')).toEqual([...gap.general, after.seq]), SETTLE);
    // random was not in ada's `since`: its recent events, the gap's among them, each once.
    const random = seqsOf(ada, 'random');
    expect(random).toContain(gap.random[0]);
    expect(new Set(random).size).toBe(random.length);
    // Replayed in place: no socket was closed, nothing went wrong.
    expect(bob.ws.readyState).toBe(bob.ws.OPEN);
    expect(eve.ws.readyState).toBe(eve.ws.OPEN);
    expect(logs).toEqual([]);
  });

  it('a gap longer than replayLimit: the hub tells its sessions to resync (1012); the client resumes and is told the replay was truncated', { timeout: 30_000 }, async () => {
    const namespace = uniquePrefix('resync');
    const a = await startHub({ transport: slowReconnectTransport(namespace, 'hub-r-conn', 1000), hubId: 'hub-r', replayLimit: 2 });
    const b = await startHub({ transport: redisTransport(namespace), hubId: 'hub-s' });
    const admin = b.transport.redis as Redis;
    const bob = client(a.ws, TOKENS.bob, { recent: false, minReconnectDelayMs: 20, maxReconnectDelayMs: 100 });
    const seen: ChatDelivery[] = [];
    bob.on('channel.message', (d) => seen.push(d));
    const resumes: HistoryFrame[] = [];
    bob.onFrame((f) => {
      if (f.type === 'history' && f.channelId === 'general') resumes.push(f);
    });
    await bob.connect();
    const raw = await rawSocket(a.ws);
    await raw.hello(TOKENS.ada, { recent: false });
    const bot = client(b.ws, TOKENS.bot);
    await bot.connect();
    const acks = [await bot.post('general', 'm0')];
    await vi.waitFor(() => expect(seen).toHaveLength(1), SETTLE);
    const firstSession = bob.welcome?.sessionId;

    await killSubscriber(admin, 'hub-r');
    for (const t of ['m1', 'm2', 'm3']) acks.push(await bot.post('general', t));
    expect((await raw.closed).code).toBe(1012);
    // Back through a new session, which replays the gap from the client's last seen seq up to replayLimit.
    await vi.waitFor(() => expect(seen.map((d) => d.seq)).toEqual(acks.slice(0, 3).map((x) => x.seq)), { timeout: 10_000, interval: 50 });
    expect(bob.welcome?.sessionId).not.toBe(firstSession);
    expect(resumes.at(-1)).toMatchObject({ reason: 'resume', truncated: true });
    expect(seen.slice(1).every((d) => d.replayed)).toBe(true);
    const live = await bot.post('general', 'm4');
    await vi.waitFor(() => expect(seen.at(-1)).toMatchObject({ seq: live.seq, replayed: false }), SETTLE);
  });
});
