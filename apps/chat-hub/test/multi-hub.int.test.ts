import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { exited, outputLines, spawnTs, uniquePrefix } from '@agentbus/test-utils';
import type { ChatDelivery, EventFrame, HistoryFrame } from '../src/index';
import { SETTLE, TOKENS, TOKEN_CONFIG, cleanup, client, rawSocket, redisTransport } from './helpers';

const main = path.join(path.dirname(fileURLToPath(import.meta.url)), '../src/main.ts');
const children: ChildProcess[] = [];

afterEach(async () => {
  await cleanup();
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await exited(c);
  }
});

interface HubProcess {
  child: ChildProcess;
  /** WebSocket URL. */
  ws: string;
  port: number;
  out: string[];
}

/** `agentbus-chat-hub` (src/main.ts) as a real process, configured only by its environment. */
async function startHubProcess(namespace: string, hubId: string, port = 0, redisUrl = inject('redisUrl')): Promise<HubProcess> {
  const child = spawnTs(main, [], {
    env: {
      ...process.env,
      REDIS_URL: redisUrl,
      REDIS_NAMESPACE: namespace,
      CHAT_PORT: String(port),
      CHAT_HUB_ID: hubId,
      CHAT_TOKENS: JSON.stringify(TOKEN_CONFIG),
      CHAT_CHANNELS: 'general,random',
    },
  });
  children.push(child);
  const out = outputLines(child);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const line = await vi.waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`hub ${hubId} exited ${child.exitCode}: ${stderr}`);
      const l = out.find((x) => x.includes(' listening on '));
      if (!l) throw new Error(`hub ${hubId} not listening yet: ${stderr}`);
      return l;
    },
    { timeout: 20_000, interval: 50 },
  );
  const url = /listening on (http:\/\/\S+)/.exec(line)![1]!;
  return { child, ws: `${url.replace(/^http/, 'ws')}/ws`, port: Number(new URL(url).port), out };
}

const text = (d: ChatDelivery) => (d.payload as { text?: string }).text;

/** A TCP proxy in front of the test Redis that can refuse new connections for a while; open ones stay up. */
async function redisProxy(): Promise<{ url: string; refuse(on: boolean): void; close(): Promise<void> }> {
  const target = new URL(inject('redisUrl'));
  let refusing = false;
  const open = new Set<net.Socket>();
  const server = net.createServer((down) => {
    if (refusing) return void down.destroy();
    const up = net.connect(Number(target.port || 6379), target.hostname);
    for (const s of [down, up]) {
      open.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        open.delete(s);
        down.destroy();
        up.destroy();
      });
    }
    down.pipe(up).pipe(down);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxied = new URL(target);
  proxied.hostname = '127.0.0.1';
  proxied.port = String((server.address() as net.AddressInfo).port);
  return {
    url: proxied.toString(),
    refuse: (on) => void (refusing = on),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('several hub processes on one Redis', () => {
  it('a message sent through hub A reaches a client on hub B, and presence crosses hubs', async () => {
    const ns = uniquePrefix('hubs');
    const [a, b] = await Promise.all([startHubProcess(ns, 'hub-a'), startHubProcess(ns, 'hub-b')]);
    const ada = client(a.ws, TOKENS.ada);
    const welcomeA = await ada.connect();
    expect(welcomeA.hubId).toBe('hub-a');
    const online = ada.receive('channel.presence', (d) => d.payload.userId === 'bob' && d.payload.status === 'online');
    const bob = client(b.ws, TOKENS.bob);
    expect((await bob.connect()).hubId).toBe('hub-b');
    await online;

    const atBob = bob.receive('channel.message');
    const sent = await ada.post('general', 'from hub A to @bob');
    const got = await atBob;
    expect(got.payload).toMatchObject({ text: 'from hub A to @bob', mentions: ['bob'], messageId: sent.messageId });
    expect(got.seq).toBe(sent.seq);

    const atAda = ada.receive('thread.message');
    await bob.reply('general', sent.messageId!, 'back from hub B');
    expect((await atAda).payload).toMatchObject({ threadId: sent.messageId, text: 'back from hub B' });

    // A direct message through hub A reaches bob on hub B, with its seq in the conversation's history.
    const dmAtBob = bob.receive('channel.message', (d) => d.payload.channelId === 'dm:ada:bob');
    const dm = await ada.direct('bob', 'direct, from hub A');
    expect(await dmAtBob).toMatchObject({ seq: dm.seq, replayed: false, payload: { text: 'direct, from hub A' } });
    expect((await bob.history('dm:ada:bob', '9999999999999-0')).events.map((e) => e.seq)).toEqual([dm.seq]);

    const typing = ada.receive('channel.typing');
    await bob.typing('general', true);
    expect((await typing).payload).toMatchObject({ userId: 'bob', typing: true });

    // Both hubs announced the members once between them, however they raced at start.
    const bot = client(a.ws, TOKENS.bot);
    const joins: ChatDelivery[] = [];
    bot.on('channel.member.join', (d) => joins.push(d));
    await bot.connect();
    await vi.waitFor(() => expect(joins.filter((j) => j.payload.channelId === 'general')).toHaveLength(3), SETTLE);
  });

  it('reconnect with a gap: hub B is killed, messages go on through hub A, the client resumes from its last seen seq', async () => {
    const ns = uniquePrefix('gap');
    const a = await startHubProcess(ns, 'hub-a');
    let b = await startHubProcess(ns, 'hub-b');
    const ada = client(a.ws, TOKENS.ada);
    await ada.connect();
    const bob = client(b.ws, TOKENS.bob, { minReconnectDelayMs: 100, maxReconnectDelayMs: 300, recent: false });
    const seen: ChatDelivery[] = [];
    bob.on('channel.message', (d) => seen.push(d));
    await bob.connect();

    await ada.post('general', 'm1');
    await vi.waitFor(() => expect(seen.map(text)).toEqual(['m1']), SETTLE);

    b.child.kill('SIGKILL');
    expect(await exited(b.child)).toBe('SIGKILL');
    const gap = [];
    for (const m of ['m2', 'm3', 'm4']) gap.push(await ada.post('general', m));
    await ada.post('random', 'not for bob');

    // The same port, as after a crash and restart (or a load balancer sending bob to a new hub).
    b = await startHubProcess(ns, 'hub-b2', b.port);
    await vi.waitFor(() => expect(seen.map(text)).toEqual(['m1', 'm2', 'm3', 'm4']), { timeout: 15_000, interval: 50 });
    expect(seen.slice(1).every((d) => d.replayed)).toBe(true);
    expect(seen.slice(1).map((d) => d.seq)).toEqual(gap.map((g) => g.seq));
    expect(bob.welcome?.hubId).toBe('hub-b2');

    await ada.post('general', 'm5');
    await vi.waitFor(() => expect(seen.map(text)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']), SETTLE);
    expect(seen[4]?.replayed).toBe(false);

    // A raw client resuming on the other hub gets the same gap, marked complete.
    const raw = await rawSocket(a.ws);
    await raw.hello(TOKENS.bob, { since: { general: seen[0]!.seq } });
    const history = (await raw.until((f) => f.type === 'history')) as HistoryFrame;
    expect(history).toMatchObject({ channelId: 'general', reason: 'resume', truncated: false, more: false });
    expect(history.events.map((e) => (e.env.payload as { text: string }).text)).toEqual(['m2', 'm3', 'm4', 'm5']);
  });

  it('hub B’s Pub/Sub connection is killed: what hub A published meanwhile reaches B’s client once, in order, on the same socket', async () => {
    const ns = uniquePrefix('resub');
    const proxy = await redisProxy();
    try {
      const a = await startHubProcess(ns, 'hub-a');
      const b = await startHubProcess(ns, 'hub-b', 0, proxy.url);
      const admin = redisTransport(ns).redis as Redis;
      const bob = await rawSocket(b.ws);
      await bob.hello(TOKENS.bob, { recent: false });
      const bot = client(a.ws, TOKENS.bot);
      await bot.connect();
      const seqs = () =>
        bob
          .events('channel.message')
          .filter((e: EventFrame) => (e.env.payload as { channelId: string }).channelId === 'general')
          .map((e) => e.seq);
      const acks = [await bot.post('general', 'm0')];
      await vi.waitFor(() => expect(seqs()).toEqual(acks.map((x) => x.seq)), SETTLE);

      // Hub B's subscriber, by the name the hub gives it; it cannot reconnect until the proxy lets it.
      const name = 'agentbus-chat-hub:hub-b:pubsub';
      const list = (await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string;
      const id = /(?:^|\n)id=(\d+) [^\n]*name=(\S+)/g;
      const ids = [...list.matchAll(id)].filter((m) => m[2] === name).map((m) => m[1]!);
      expect(ids).toHaveLength(1);
      proxy.refuse(true);
      expect(await admin.call('CLIENT', 'KILL', 'ID', ids[0]!)).toBe(1);
      for (const t of ['m1', 'm2', 'm3']) acks.push(await bot.post('general', t));
      const dm = await bot.direct('bob', 'while hub B was deaf');
      proxy.refuse(false);

      await vi.waitFor(() => expect(seqs()).toEqual(acks.map((x) => x.seq)), { timeout: 15_000, interval: 50 });
      await vi.waitFor(() => expect(bob.events().filter((e) => e.seq === dm.seq)).toHaveLength(1), SETTLE);
      acks.push(await bot.post('general', 'm4'));
      await vi.waitFor(() => expect(seqs()).toEqual(acks.map((x) => x.seq)), SETTLE);
      expect(bob.ws.readyState).toBe(bob.ws.OPEN);
    } finally {
      await proxy.close();
    }
  });

  it('stops on SIGTERM, closing its sessions with 1001', async () => {
    const hub = await startHubProcess(uniquePrefix('term'), 'hub-t');
    const raw = await rawSocket(hub.ws);
    await raw.hello(TOKENS.eve);
    hub.child.kill('SIGTERM');
    expect((await raw.closed).code).toBe(1001);
    expect(await exited(hub.child)).toBe(0);
    expect(hub.out.some((l) => l.includes('SIGTERM, closing'))).toBe(true);
  });
});
