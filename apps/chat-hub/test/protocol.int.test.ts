import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createMetrics } from '@agentbus/metrics';
import { ANNOUNCEMENTS_ID, ChatRequestError, type ChatDelivery, type HistoryFrame } from '../src/index';
import { TOKENS, cleanup, client, holdClock, rawSocket, redisTransport, sleep, startHub } from './helpers';

const text = (d: ChatDelivery) => (d.payload as { text?: string }).text;
const message = (d: ChatDelivery) => (d.payload as { message?: string }).message;
const messages = (f: { events: { env: { payload: unknown } }[] }) => f.events.map((e) => (e.env.payload as { message: string }).message);

afterEach(cleanup);

describe('chat hub protocol on Redis', () => {
  it('welcomes a client with its channels, members with presence, and serves the page and /healthz', async () => {
    const { hub, ws } = await startHub();
    const bob = client(ws, TOKENS.bob);
    await bob.connect();
    const ada = client(ws, TOKENS.ada);
    const welcome = await ada.connect();
    expect(welcome.user).toEqual({ id: 'ada', kind: 'human', name: 'Ada', announce: false });
    expect(welcome.channels.map((c) => c.id).sort()).toEqual(['general', 'random']);
    const general = welcome.channels.find((c) => c.id === 'general')!;
    expect(general.topic).toBe('Everything');
    expect(general.members).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: 'ada', status: 'online' }),
        expect.objectContaining({ id: 'bob', status: 'online' }),
        expect.objectContaining({ id: 'bot', kind: 'agent', status: 'offline' }),
      ]),
    );
    expect(welcome.users.map((u) => u.id).sort()).toEqual(['ada', 'bob', 'bot', 'eve']);

    const page = await fetch(hub.url!);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('<script src="/app.js"');
    expect((await fetch(`${hub.url}/app.js`)).headers.get('content-type')).toContain('javascript');
    expect(await (await fetch(`${hub.url}/healthz`)).json()).toMatchObject({ ok: true, backend: 'redis', sessions: 2 });
    expect((await fetch(`${hub.url}/nope`)).status).toBe(404);
  });

  it('posts reach every member with a seq, mentions resolved, and an ack with the message id', async () => {
    const { ws } = await startHub();
    const ada = client(ws, TOKENS.ada);
    const bob = client(ws, TOKENS.bob);
    await Promise.all([ada.connect(), bob.connect()]);
    const seen = bob.receive('channel.message');
    const ack = await ada.post('general', 'hi @bob and @nobody, mail ada@example.com');
    const got = await seen;
    expect(got.payload).toEqual({
      channelId: 'general',
      messageId: ack.messageId,
      author: { id: 'ada', kind: 'human', name: 'Ada' },
      text: 'hi @bob and @nobody, mail ada@example.com',
      mentions: ['bob'],
    });
    expect(got.seq).toBe(ack.seq);
    expect(got.envelope).toMatchObject({ from: 'ada', to: 'channel:general', type: 'channel.message', id: ack.id });
    expect(got.replayed).toBe(false);
    expect(bob.lastSeen().general).toBe(ack.seq);
  });

  it('edits and deletes only one’s own messages; reactions and threads reach the channel', async () => {
    const { ws } = await startHub();
    const ada = client(ws, TOKENS.ada);
    const bob = client(ws, TOKENS.bob);
    await Promise.all([ada.connect(), bob.connect()]);
    const events: ChatDelivery[] = [];
    bob.on('*', (d) => events.push(d));
    const { messageId } = await ada.post('general', 'first draft');
    const mid = messageId!;

    await ada.edit('general', mid, 'final text @bob');
    await expect(bob.edit('general', mid, 'mine now')).rejects.toMatchObject({ code: 'forbidden' });
    await expect(bob.deleteMessage('general', mid)).rejects.toMatchObject({ code: 'forbidden' });
    await expect(ada.edit('general', 'no-such-id', 'x')).rejects.toMatchObject({ code: 'not_found' });

    await bob.react('general', mid, '👍');
    await bob.react('general', mid, '👍', { remove: true });
    await expect(bob.react('general', 'nope', '👍')).rejects.toMatchObject({ code: 'not_found' });
    const reply = await bob.reply('general', mid, 'a reply', { alsoInChannel: true });
    await bob.reply('general', mid, 'another');
    await ada.edit('general', mid, 'final', {});
    await bob.edit('general', reply.messageId!, 'edited reply', { threadId: mid });
    await ada.deleteMessage('general', mid);
    await expect(ada.reply('general', 'not-a-message', 'x')).rejects.toMatchObject({ code: 'not_found' });

    await expect.poll(() => events.filter((e) => e.type === 'channel.message.delete').length).toBe(1);
    const types = events.filter((e) => e.seq !== undefined && !e.replayed).map((e) => e.type);
    expect(types).toEqual([
      'channel.message',
      'channel.message.edit',
      'channel.reaction.add',
      'channel.reaction.remove',
      'thread.create',
      'thread.message',
      'thread.message',
      'channel.message.edit',
      'channel.message.edit',
      'channel.message.delete',
    ]);
    const edit = events.find((e) => e.type === 'channel.message.edit');
    expect(edit?.payload).toMatchObject({ editedBy: 'ada', text: 'final text @bob', mentions: ['bob'] });
    const threadMsg = events.find((e) => e.type === 'thread.message');
    expect(threadMsg?.payload).toMatchObject({ threadId: mid, alsoInChannel: true, author: { id: 'bob' } });
    expect(events.find((e) => e.type === 'thread.create')?.payload).toMatchObject({ threadId: mid, parentMessageId: mid, createdBy: 'bob' });
    // Seqs increase: the order every hub delivers is the stream's.
    const seqs = events.filter((e) => e.seq).map((e) => e.seq!);
    expect([...seqs].sort((a, b) => (a.length - b.length) || a.localeCompare(b))).toEqual(seqs);
  });

  it('a client sees only its channels: no events of others, and sending to them is forbidden', async () => {
    const { ws } = await startHub();
    const ada = client(ws, TOKENS.ada);
    const bob = client(ws, TOKENS.bob);
    await Promise.all([ada.connect(), bob.connect()]);
    const bobEvents: ChatDelivery[] = [];
    bob.on('*', (d) => bobEvents.push(d));
    await ada.post('random', 'only for random');
    await expect(bob.post('random', 'let me in')).rejects.toMatchObject({ code: 'forbidden' });
    await expect(bob.history('random', '9999999999999-0')).rejects.toMatchObject({ code: 'forbidden' });
    await expect(bob.typing('random', true)).rejects.toMatchObject({ code: 'forbidden' });
    await ada.post('general', 'sync point');
    await bob.receive('channel.message', (d) => d.payload.text === 'sync point');
    expect(bobEvents.some((e) => 'channelId' in e.payload && e.payload.channelId === 'random')).toBe(false);
    expect(bob.welcome?.channels.map((c) => c.id)).toEqual(['general']);
  });

  it('typing shows, expires from the sorted set after the TTL, and stops when the message is sent', async () => {
    // The TTL runs on the hub's clock, held here: however long this machine stalls, ada is still
    // typing when bot connects, and expired only once the test moves the clock past the TTL.
    // (The Redis key's own PEXPIRE, 2x the TTL in real time, stays far off.)
    const clock = holdClock();
    const typingTtlMs = 10_000;
    const { ws, hub } = await startHub({ typingTtlMs });
    const ada = client(ws, TOKENS.ada);
    const bob = client(ws, TOKENS.bob);
    await Promise.all([ada.connect(), bob.connect()]);
    const started = bob.receive('channel.typing');
    await ada.typing('general', true);
    expect((await started).payload).toEqual({ channelId: 'general', userId: 'ada', typing: true });

    // A client connecting now sees ada typing in its welcome.
    const bot = client(ws, TOKENS.bot);
    const w = await bot.connect();
    expect(w.channels.find((c) => c.id === 'general')?.typing).toEqual([{ userId: 'ada' }]);

    const stopped = bob.receive('channel.typing', (d) => !d.payload.typing);
    await ada.post('general', 'done typing');
    expect((await stopped).payload).toMatchObject({ userId: 'ada', typing: false });

    await ada.typing('general', true, 'some-thread');
    clock.advance(typingTtlMs + 1);
    const later = client(ws, TOKENS.bot, { recent: false });
    expect((await later.connect()).channels.find((c) => c.id === 'general')?.typing).toEqual([]);
    expect(hub.sessions()).toBe(4);
  });

  it('presence: online on connect, away on request, offline when the last session closes', async () => {
    const { ws } = await startHub();
    const ada = client(ws, TOKENS.ada);
    await ada.connect();
    const online = ada.receive('channel.presence', (d) => d.payload.userId === 'bob' && d.payload.status === 'online');
    const bob = client(ws, TOKENS.bob);
    await bob.connect();
    expect((await online).payload).toMatchObject({ channelId: 'general', userId: 'bob', status: 'online' });

    const away = ada.receive('channel.presence', (d) => d.payload.userId === 'bob' && d.payload.status === 'away');
    await bob.setPresence('away');
    await away;

    // A second session of bob: closing one keeps him online.
    const bob2 = client(ws, TOKENS.bob);
    await bob2.connect();
    let offline = false;
    ada.on('channel.presence', (d) => {
      if (d.payload.userId === 'bob' && d.payload.status === 'offline') offline = true;
    });
    await bob2.close();
    await sleep(200);
    expect(offline).toBe(false);
    await bob.close();
    await expect.poll(() => offline).toBe(true);
    const eve = client(ws, TOKENS.bot);
    const w = await eve.connect();
    expect(w.channels.find((c) => c.id === 'general')?.members.find((m) => m.id === 'bob')?.status).toBe('offline');
  });

  it('with metrics: /metrics counts open connections and, each heartbeat, the participants online by kind', async () => {
    const metrics = createMetrics();
    // A socket that misses one beat's pong is cut: a beat much longer than a stall of this machine.
    const { hub, ws } = await startHub({ metrics, heartbeatMs: 500 });
    const series = async (name: string) => {
      const res = await fetch(`${hub.url}/metrics`);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      const line = (await res.text()).split('\n').find((l) => l.startsWith(`${name} `));
      return line === undefined ? undefined : Number(line.slice(name.length + 1));
    };
    const ada = client(ws, TOKENS.ada);
    await ada.connect();
    const bot = client(ws, TOKENS.bot);
    await bot.connect();
    const bob = client(ws, TOKENS.bob);
    await bob.connect();
    await bob.setPresence('away');
    expect(await series('agentbus_chat_connections')).toBe(3);
    await expect.poll(() => series('agentbus_chat_presence_online{kind="human"}')).toBe(1);
    expect(await series('agentbus_chat_presence_online{kind="agent"}')).toBe(1);

    await bot.close();
    await expect.poll(() => series('agentbus_chat_connections')).toBe(2);
    await expect.poll(() => series('agentbus_chat_presence_online{kind="agent"}')).toBe(0);
    metrics.close();
  });

  it('without metrics there is no /metrics route', async () => {
    const { hub } = await startHub();
    expect((await fetch(`${hub.url}/metrics`)).status).toBe(404);
  });

  it('the heartbeat refreshes presence and sessions (5 min TTL) and drops a socket that stops answering pings', async () => {
    // A socket that misses one beat's pong is cut: a beat much longer than a stall of this machine.
    const { ws, transport } = await startHub({ heartbeatMs: 500 });
    const ada = client(ws, TOKENS.ada);
    await ada.connect();
    const redis = transport.redis!;
    const presenceKey = transport.keys.key('chat', 'channel', 'general', 'presence');
    const first = JSON.parse((await redis.hget(presenceKey, 'ada'))!) as { lastSeenAt: number };
    await expect
      .poll(async () => (JSON.parse((await redis.hget(presenceKey, 'ada'))!) as { lastSeenAt: number }).lastSeenAt, { interval: 50 })
      .toBeGreaterThan(first.lastSeenAt);
    const ttl = await redis.pttl(presenceKey);
    expect(ttl).toBeGreaterThan(290_000);
    expect(ttl).toBeLessThanOrEqual(300_000);
    expect(await redis.pttl(transport.keys.key('chat', 'sessions', 'ada'))).toBeGreaterThan(290_000);

    // A client whose socket no longer answers pings (a vanished laptop) is cut off after two beats.
    const ghost = new WebSocket(ws, { autoPong: false });
    await new Promise((r) => ghost.once('open', r));
    ghost.send(JSON.stringify({ type: 'hello', token: TOKENS.bob, recent: false }));
    const offline = ada.receive('channel.presence', (d) => d.payload.userId === 'bob' && d.payload.status === 'offline', 5000);
    const closed = new Promise<number>((r) => ghost.once('close', (code) => r(code)));
    expect(await closed).toBe(1006);
    await offline;
  });

  it('direct messages reach the recipient’s sessions (and the sender’s), never a channel', async () => {
    const { ws } = await startHub();
    const ada = client(ws, TOKENS.ada);
    const bot = client(ws, TOKENS.bot);
    const eve = client(ws, TOKENS.eve, { recent: false });
    await Promise.all([ada.connect(), bot.connect(), eve.connect()]);
    const eveEvents: ChatDelivery[] = [];
    eve.on('*', (d) => eveEvents.push(d));
    const toBot = bot.receive('channel.message');
    const echo = ada.receive('channel.message');
    const ack = await ada.direct('bot', 'status report please');
    const got = await toBot;
    expect(got.payload).toMatchObject({ channelId: 'dm:ada:bot', text: 'status report please', messageId: ack.messageId });
    expect(got.seq).toBe(ack.seq);
    expect(got.envelope.to).toBe('bot');
    expect((await echo).payload.channelId).toBe('dm:ada:bot');
    await expect(ada.direct('nobody', 'hi')).rejects.toMatchObject({ code: 'not_found' });
    await sleep(100);
    expect(eveEvents.filter((e) => e.type !== 'channel.presence')).toEqual([]);
  });

  it('direct messages are kept: a DM sent while the recipient was away is replayed on reconnect, once, in order', async () => {
    const transport = redisTransport();
    const first = await startHub({ transport });
    const port = Number(new URL(first.hub.url!).port);
    const ada = client(first.ws, TOKENS.ada, { reconnect: false });
    await ada.connect();
    const old = await ada.direct('bob', 'd0 before bob connected');
    // recent: false: the old conversation is not sent, and not replayed after a reconnect either.
    const bob = client(first.ws, TOKENS.bob, { recent: false, minReconnectDelayMs: 20, maxReconnectDelayMs: 50 });
    const seen: ChatDelivery[] = [];
    bob.on('channel.message', (d) => seen.push(d));
    const welcome = await bob.connect();
    expect(welcome.directs).toEqual([{ id: 'dm:ada:bob', peer: 'ada', lastSeq: old.seq }]);
    const d1 = await ada.direct('bob', 'd1 live');
    await expect.poll(() => seen.map(text)).toEqual(['d1 live']);
    expect(seen[0]).toMatchObject({ seq: d1.seq, replayed: false, payload: { channelId: 'dm:ada:bob' } });

    await first.hub.close();
    const other = await startHub({ transport });
    const ada2 = client(other.ws, TOKENS.ada);
    const bot = client(other.ws, TOKENS.bot);
    await Promise.all([ada2.connect(), bot.connect()]);
    const gap = [await ada2.direct('bob', 'd2 while away'), await ada2.direct('bob', 'd3 while away')];
    // A conversation bob never saw: replayed from its start.
    const fromBot = await bot.direct('bob', 'b1 new conversation');
    expect(bob.lastSeen()).toMatchObject({ 'dm:ada:bob': d1.seq });
    await startHub({ transport, port });
    await expect.poll(() => seen.map(text), { timeout: 10_000 }).toEqual(['d1 live', 'd2 while away', 'd3 while away', 'b1 new conversation']);
    expect(seen.slice(1).every((d) => d.replayed)).toBe(true);
    expect(seen.slice(1).map((d) => d.seq)).toEqual([...gap.map((g) => g.seq), fromBot.seq]);
    expect(bob.welcome?.directs.map((d) => d.id)).toEqual(['dm:ada:bob', 'dm:bob:bot']);

    await ada2.direct('bob', 'd4 live again');
    await expect.poll(() => seen.length).toBe(5);
    expect(seen[4]).toMatchObject({ replayed: false });
    await sleep(100);
    expect(seen.map(text)).toEqual(['d1 live', 'd2 while away', 'd3 while away', 'b1 new conversation', 'd4 live again']);
    expect(bob.lastSeen()).toMatchObject({ 'dm:bob:bot': fromBot.seq });
  });

  it('the history of a direct conversation: its participants page it, anyone else is refused and gets nothing', async () => {
    const { ws } = await startHub();
    const ada = client(ws, TOKENS.ada);
    const bob = client(ws, TOKENS.bob);
    await Promise.all([ada.connect(), bob.connect()]);
    const acks = [];
    for (const t of ['h1', 'h2', 'h3']) acks.push(await ada.direct('bob', t));
    acks.push(await bob.direct('ada', 'h4'));
    for (const who of [ada, bob]) {
      const page = await who.history('dm:ada:bob', acks[3]!.seq!, 2);
      expect(page).toMatchObject({ channelId: 'dm:ada:bob', reason: 'page', more: true });
      expect(page.events.map((e) => (e.env.payload as { text: string }).text)).toEqual(['h2', 'h3']);
    }

    const eve = client(ws, TOKENS.eve);
    await eve.connect();
    expect(eve.welcome?.directs).toEqual([]);
    await expect(eve.history('dm:ada:bob', acks[3]!.seq!)).rejects.toMatchObject({ code: 'forbidden', message: expect.stringContaining('not a member') });
    const raw = await rawSocket(ws);
    // A resume point for someone else's conversation replays nothing.
    const welcome = await raw.hello(TOKENS.eve, { since: { 'dm:ada:bob': acks[0]!.seq } });
    expect(welcome).toMatchObject({ type: 'welcome', directs: [] });
    raw.send({ type: 'history', ref: 'h', channelId: 'dm:ada:bob', before: acks[3]!.seq });
    expect(await raw.until((f) => f.type === 'error' && f.ref === 'h')).toMatchObject({ code: 'forbidden' });
    raw.send({ type: 'history', ref: 'x', channelId: 'dm:bob:ada', before: acks[3]!.seq });
    expect(await raw.until((f) => f.type === 'error' && f.ref === 'x')).toMatchObject({ code: 'invalid_payload' });
    raw.send({ type: 'ping', ref: 'p' });
    await raw.until((f) => f.type === 'pong');
    expect(raw.frames.some((f) => f.type === 'history' && f.channelId.startsWith('dm:'))).toBe(false);
    expect(JSON.stringify(raw.frames)).not.toMatch(/h[1-4]"/);
  });

  it('a reload (a new connection without since) lists the direct conversations and sends their recent messages', async () => {
    const { ws } = await startHub();
    const ada = client(ws, TOKENS.ada);
    await ada.connect();
    const ack = await ada.direct('bob', 'are you there?');
    await ada.direct('ada', 'note to self');
    const bob = await rawSocket(ws);
    const welcome = await bob.hello(TOKENS.bob);
    expect(welcome).toMatchObject({ type: 'welcome', directs: [{ id: 'dm:ada:bob', peer: 'ada', lastSeq: ack.seq }] });
    expect((welcome as { users: { id: string }[] }).users.map((u) => u.id)).toContain('ada');
    const recent = (await bob.until((f) => f.type === 'history' && f.channelId === 'dm:ada:bob')) as HistoryFrame;
    expect(recent).toMatchObject({ reason: 'recent', truncated: false, more: false });
    expect(recent.events.map((e) => [e.seq, (e.env.payload as { text: string }).text])).toEqual([[ack.seq, 'are you there?']]);
    const again = client(ws, TOKENS.ada, { recent: false });
    expect((await again.connect()).directs.map((d) => [d.id, d.peer])).toEqual([
      ['dm:ada:ada', 'ada'],
      ['dm:ada:bob', 'bob'],
    ]);
  });

  it('announcements go to every session of every channel; only tokens with announce may send them', async () => {
    const { ws } = await startHub();
    const bot = client(ws, TOKENS.bot);
    const eve = client(ws, TOKENS.eve);
    const bob = client(ws, TOKENS.bob);
    await Promise.all([bot.connect(), eve.connect(), bob.connect()]);
    const atEve = eve.receive('system.announcement');
    const atBob = bob.receive('system.announcement');
    const ack = await bot.announce('deploy at 17:00', 'warning');
    for (const d of await Promise.all([atEve, atBob])) {
      expect(d.payload).toEqual({ message: 'deploy at 17:00', level: 'warning' });
      expect(d.envelope.from).toBe('bot');
      expect(d).toMatchObject({ seq: ack.seq, replayed: false, envelope: { id: ack.id, to: 'broadcast' } });
    }
    await expect(bob.announce('me too')).rejects.toMatchObject({ code: 'forbidden' });
    expect(bob.lastSeen()).toMatchObject({ [ANNOUNCEMENTS_ID]: ack.seq });
  });

  it('announcements are kept: those sent while a client was away are replayed on its reconnect, once, in order', async () => {
    const transport = redisTransport();
    const first = await startHub({ transport });
    const port = Number(new URL(first.hub.url!).port);
    const bot = client(first.ws, TOKENS.bot, { reconnect: false });
    await bot.connect();
    const old = await bot.announce('a0 before eve connected');
    // recent: false: the old announcement is not sent, and not replayed after a reconnect either.
    const eve = client(first.ws, TOKENS.eve, { recent: false, minReconnectDelayMs: 20, maxReconnectDelayMs: 50 });
    const seen: ChatDelivery[] = [];
    eve.on('system.announcement', (d) => seen.push(d));
    const welcome = await eve.connect();
    expect(welcome.announcements).toEqual({ id: ANNOUNCEMENTS_ID, lastSeq: old.seq });
    const a1 = await bot.announce('a1 live', 'warning');
    await expect.poll(() => seen.map(message)).toEqual(['a1 live']);
    expect(seen[0]).toMatchObject({ seq: a1.seq, replayed: false });

    await first.hub.close();
    const other = await startHub({ transport });
    const bot2 = client(other.ws, TOKENS.bot);
    await bot2.connect();
    const gap = [await bot2.announce('a2 while away'), await bot2.announce('a3 while away', 'error')];
    expect(eve.lastSeen()).toMatchObject({ [ANNOUNCEMENTS_ID]: a1.seq });
    await startHub({ transport, port });
    await expect.poll(() => seen.map(message), { timeout: 10_000 }).toEqual(['a1 live', 'a2 while away', 'a3 while away']);
    expect(seen.slice(1).map((d) => [d.seq, d.replayed])).toEqual(gap.map((g) => [g.seq, true]));

    const a4 = await bot2.announce('a4 live again');
    await expect.poll(() => seen.length).toBe(4);
    expect(seen[3]).toMatchObject({ seq: a4.seq, replayed: false });
    await sleep(100);
    expect(seen.map(message)).toEqual(['a1 live', 'a2 while away', 'a3 while away', 'a4 live again']);
    expect(eve.lastSeen()).toMatchObject({ [ANNOUNCEMENTS_ID]: a4.seq });
  });

  it('a new connection gets the recent announcements, any user pages them, a resume gets the gap; a refused one is not kept', async () => {
    const { ws } = await startHub({ recentLimit: 2 });
    const bot = client(ws, TOKENS.bot);
    await bot.connect();
    // A client that resumes (reconnects) before any announcement was kept gets them from the start.
    const early = await rawSocket(ws);
    expect(await early.hello(TOKENS.bob, { since: {} })).toMatchObject({ announcements: { id: ANNOUNCEMENTS_ID, lastSeq: null } });
    expect(await early.until((f) => f.type === 'history' && f.channelId === ANNOUNCEMENTS_ID)).toMatchObject({ reason: 'resume', events: [] });
    const acks = [];
    for (const m of ['n1', 'n2', 'n3']) acks.push(await bot.announce(m));
    const bob = client(ws, TOKENS.bob);
    await bob.connect();
    await expect(bob.announce('not kept')).rejects.toMatchObject({ code: 'forbidden' });

    // eve is in no channel with bob or bot: announcements are everyone's all the same.
    const eve = await rawSocket(ws);
    const welcome = await eve.hello(TOKENS.eve);
    expect(welcome).toMatchObject({ announcements: { id: ANNOUNCEMENTS_ID, lastSeq: acks[2]!.seq } });
    const recent = (await eve.until((f) => f.type === 'history' && f.channelId === ANNOUNCEMENTS_ID)) as HistoryFrame;
    expect(recent).toMatchObject({ reason: 'recent', truncated: false, more: true });
    expect(recent.events.map((e) => e.seq)).toEqual([acks[1]!.seq, acks[2]!.seq]);
    expect(messages(recent)).toEqual(['n2', 'n3']);
    eve.send({ type: 'history', ref: 'p', channelId: ANNOUNCEMENTS_ID, before: acks[1]!.seq, limit: 5 });
    const page = (await eve.until((f) => f.type === 'history' && f.ref === 'p')) as HistoryFrame;
    expect(page).toMatchObject({ reason: 'page', channelId: ANNOUNCEMENTS_ID, more: false });
    expect(messages(page)).toEqual(['n1']);
    for (const who of [bob, bot]) {
      const all = await who.history(ANNOUNCEMENTS_ID, '99999999999999-0', 10);
      expect(messages(all)).toEqual(['n1', 'n2', 'n3']);
    }

    const resumed = await rawSocket(ws);
    await resumed.hello(TOKENS.eve, { since: { [ANNOUNCEMENTS_ID]: acks[0]!.seq } });
    const gap = (await resumed.until((f) => f.type === 'history' && f.channelId === ANNOUNCEMENTS_ID)) as HistoryFrame;
    expect(gap).toMatchObject({ reason: 'resume', truncated: false, more: false });
    expect(messages(gap)).toEqual(['n2', 'n3']);
    const quiet = await rawSocket(ws);
    await quiet.hello(TOKENS.eve, { recent: false });
    quiet.send({ type: 'ping', ref: 'q' });
    await quiet.until((f) => f.type === 'pong');
    expect(quiet.frames.some((f) => f.type === 'history')).toBe(false);
  });

  it('collaboration events and channel updates are kept in history; the topic persists', async () => {
    const { ws } = await startHub();
    const bot = client(ws, TOKENS.bot);
    await bot.connect();
    await bot.collaborate('general', 'task.claimed', { subject: { type: 'task', id: 't-42' }, summary: 'on it' });
    await bot.send({ type: 'channel.update', payload: { channelId: 'general', topic: 'Release week' } });
    const ada = client(ws, TOKENS.ada);
    const history: ChatDelivery[] = [];
    ada.on('*', (d) => history.push(d));
    const w = await ada.connect();
    expect(w.channels.find((c) => c.id === 'general')?.topic).toBe('Release week');
    await expect.poll(() => history.filter((d) => d.replayed).map((d) => d.type)).toEqual(
      expect.arrayContaining(['collaboration.event', 'channel.update']),
    );
    expect(history.find((d) => d.type === 'collaboration.event')?.payload).toMatchObject({ actor: 'bot', kind: 'task.claimed', data: {} });
  });

  it('recent history on connect (unless recent: false), and older pages on request', async () => {
    const { ws } = await startHub({ recentLimit: 5 });
    const bot = client(ws, TOKENS.bot);
    await bot.connect();
    const acks = [];
    for (let i = 0; i < 12; i++) acks.push(await bot.post('general', `m${i}`));

    const ada = await rawSocket(ws);
    await ada.hello(TOKENS.ada);
    const recent = await ada.until((f) => f.type === 'history' && f.channelId === 'general');
    if (recent.type !== 'history') throw new Error('history expected');
    expect(recent).toMatchObject({ reason: 'recent', truncated: false, more: true });
    expect(recent.events.map((e) => (e.env.payload as { text: string }).text)).toEqual(['m7', 'm8', 'm9', 'm10', 'm11']);

    const page = await bot.history('general', acks[7]!.seq!, 4);
    expect(page.events.map((e) => (e.env.payload as { text: string }).text)).toEqual(['m3', 'm4', 'm5', 'm6']);
    expect(page).toMatchObject({ reason: 'page', more: true });

    const quiet = await rawSocket(ws);
    await quiet.hello(TOKENS.bob, { recent: false });
    await quiet.until((f) => f.type === 'welcome');
    quiet.send({ type: 'ping', ref: 'p' });
    await quiet.until((f) => f.type === 'pong');
    expect(quiet.frames.filter((f) => f.type === 'history')).toEqual([]);
  });

  it('the token may come as Authorization: Bearer at upgrade; a bad token closes with 4401', async () => {
    const { ws } = await startHub();
    const viaHeader = await rawSocket(ws, { authorization: `Bearer ${TOKENS.eve}` });
    viaHeader.send({ type: 'hello' });
    expect(await viaHeader.until((f) => f.type === 'welcome')).toMatchObject({ user: { id: 'eve' } });

    const bad = await rawSocket(ws);
    expect(await bad.hello('not-a-real-token-at-all')).toMatchObject({ type: 'error', code: 'unauthorized', message: 'unknown token' });
    expect((await bad.closed).code).toBe(4401);

    const none = await rawSocket(ws);
    none.send({ type: 'hello' });
    expect(await none.until((f) => f.type === 'error')).toMatchObject({ code: 'unauthorized' });
    expect((await none.closed).code).toBe(4401);

    const typed = client(ws, 'not-a-real-token-at-all', { reconnect: true });
    await expect(typed.connect()).rejects.toBeInstanceOf(ChatRequestError);

    // Only the WebSocket path upgrades.
    const wrong = new WebSocket(ws.replace(/\/ws$/, '/other'));
    await expect(new Promise((resolve, reject) => { wrong.once('open', resolve); wrong.once('error', reject); })).rejects.toThrow(/404/);
  });

  it('close() ends every session with 1001 and marks users offline; a typed client rejects requests when not connected', async () => {
    const { ws, hub, transport } = await startHub();
    const ada = await rawSocket(ws);
    await ada.hello(TOKENS.ada);
    const bob = client(ws, TOKENS.bob, { reconnect: false });
    await expect(bob.post('general', 'too early')).rejects.toMatchObject({ code: 'closed' });
    await bob.connect();
    expect(bob.connected).toBe(true);
    await hub.close();
    expect((await ada.closed).code).toBe(1001);
    await expect.poll(() => bob.connected).toBe(false);
    await hub.close();
    const redis = transport.redis!;
    const presence = await redis.hgetall(transport.keys.key('chat', 'channel', 'general', 'presence'));
    expect(JSON.parse(presence.ada!)).toMatchObject({ status: 'offline' });
    await expect(hub.listen()).rejects.toThrow(/listen\(\) called twice or after close/);
  });
});
