import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createEnvelope } from '@agentbus/schema';
import type { Transport } from '@agentbus/transport';
import { ANNOUNCEMENTS_ID, createChatKeys, createChatStore, eventFrameText, type ChatStore, type ChatStoreOptions } from '../src/index';
import { cleanup, memoryTransport, redisTransport, sleep } from './helpers';

afterEach(cleanup);

// The tests move time by passing `now`, but Redis also expires the keys by its own clock (PEXPIRE
// of these TTLs), and the store reads presence against Date.now: TTLs far longer than any stall of
// this machine keep a slow moment from expiring what a test is still looking at.
const PRESENCE_TTL_MS = 30_000;
const TYPING_TTL_MS = 20_000;
const OPTIONS: ChatStoreOptions = { presenceTtlMs: PRESENCE_TTL_MS, typingTtlMs: TYPING_TTL_MS, recentLimit: 3, historyMaxLen: 10_000 };

function env(text: string): string {
  return JSON.stringify(createEnvelope({ type: 'channel.message', from: 'ada', payload: { text } }));
}

const texts = (frames: string[]) => frames.map((f) => (JSON.parse(f) as { env: { payload: { text: string } } }).env.payload.text);

/** The same contract on both backends: what the hub relies on. */
describe.each([
  ['memory', () => memoryTransport()],
  ['redis', () => redisTransport()],
] as const)('chat store on %s', (_name, makeTransport: () => Transport) => {
  const make = (options: Partial<ChatStoreOptions> = {}): { store: ChatStore; transport: Transport } => {
    const transport = makeTransport();
    return { store: createChatStore(transport, { ...OPTIONS, ...options }), transport };
  };

  it('channels keep their first settings; updates change them', async () => {
    const { store } = make();
    const info = { id: 'general', name: 'general', topic: 'first', description: '', private: false, archived: false, createdAt: 1 };
    await store.ensureChannel(info);
    await store.ensureChannel({ ...info, topic: 'second' });
    expect(await store.channelInfo('general')).toEqual(info);
    await store.updateChannel('general', { topic: 'third', archived: true, description: undefined });
    expect(await store.channelInfo('general')).toMatchObject({ topic: 'third', archived: true, description: '' });
    await store.updateChannel('general', {});
    await store.updateChannel('nope', { topic: 'x' });
    expect(await store.channelInfo('nope')).toBeUndefined();
  });

  it('profiles and members', async () => {
    const { store } = make();
    await store.saveProfile({ id: 'ada', kind: 'human', name: 'Ada' });
    await store.saveProfile({ id: 'bot', kind: 'agent' });
    expect(await store.profiles([])).toEqual([]);
    expect((await store.profiles(['ada', 'bot', 'ghost'])).sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      { id: 'ada', kind: 'human', name: 'Ada' },
      { id: 'bot', kind: 'agent' },
    ]);
    expect(await store.addMember('general', 'ada')).toBe(true);
    expect(await store.addMember('general', 'ada')).toBe(false);
    expect(await store.members('general')).toEqual(['ada']);
    expect(await store.members('empty')).toEqual([]);
  });

  it('appends in order, caches the recent events, replays after a seq and pages before one', async () => {
    const { store } = make();
    const seqs: string[] = [];
    for (let i = 0; i < 6; i++) seqs.push(await store.append('general', env(`m${i}`), i === 0 ? { messageId: 'id0', userId: 'ada' } : undefined));
    expect(texts(await store.recent('general'))).toEqual(['m3', 'm4', 'm5']);
    expect(await store.lastSeq('general')).toBe(seqs[5]);
    expect(await store.lastSeq('none')).toBeNull();
    const after = await store.after('general', seqs[1]!, 3);
    expect(texts(after.frames)).toEqual(['m2', 'm3', 'm4']);
    expect(after.trimmed).toBe(false);
    expect(texts((await store.after('general', seqs[5]!, 3)).frames)).toEqual([]);
    expect(texts(await store.before('general', seqs[4]!, 2))).toEqual(['m2', 'm3']);
    expect(texts(await store.before('general', seqs[0]!, 2))).toEqual([]);
    expect(await store.after('none', '1-0', 5)).toEqual({ frames: [], trimmed: false });
    expect(await store.authorOf('general', 'id0')).toBe('ada');
    expect(await store.authorOf('general', 'id1')).toBeUndefined();
    // Frames are the exact text the hub would build: hubs forward them unparsed.
    const recent = await store.recent('general');
    const last = JSON.parse(recent[2]!) as { seq: string; env: unknown };
    expect(recent[2]).toBe(eventFrameText(JSON.stringify(last.env), last.seq));
    expect(last.seq).toBe(seqs[5]);
  });

  it('says when history after a seq was trimmed', async () => {
    const { store } = make({ historyMaxLen: 5 });
    const seqs: string[] = [];
    // Redis trims approximately (whole stream nodes of 100 entries): write enough to drop some.
    for (let i = 0; i < 350; i++) seqs.push(await store.append('general', env(`m${i}`)));
    const r = await store.after('general', seqs[0]!, 10);
    expect(r.trimmed).toBe(true);
    expect(r.frames.length).toBeGreaterThan(0);
    expect((await store.after('general', seqs[348]!, 10)).trimmed).toBe(false);
  });

  it('threads open once', async () => {
    const { store } = make();
    expect(await store.openThread('general', 't1')).toBe(true);
    expect(await store.openThread('general', 't1')).toBe(false);
  });

  it('sessions count live sessions; a stale one (its hub died) stops counting after the TTL', async () => {
    const { store } = make();
    const now = Date.now();
    expect(await store.openSession('ada', 's1', now, 5)).toEqual({ opened: true, live: 1 });
    expect(await store.openSession('ada', 's2', now, 5)).toEqual({ opened: true, live: 2 });
    expect(await store.closeSession('ada', 's2', now)).toBe(1);
    await store.refreshSessions([{ userId: 'ada', sessionId: 's3' }], now + PRESENCE_TTL_MS - 50);
    await store.refreshSessions([], now);
    // s1 was last seen at `now`: stale a TTL later; s3 is not.
    const later = now + PRESENCE_TTL_MS + 100;
    expect(await store.openSession('bob', 'b1', later, 5)).toEqual({ opened: true, live: 1 });
    expect(await store.closeSession('ada', 'none', later)).toBe(1);
    expect(await store.closeSession('ada', 's3', later)).toBe(0);
    expect(await store.closeSession('nobody', 'x', now)).toBe(0);
  });

  it('a session opens only below the cap of live sessions; stale ones (their hub died) do not count', async () => {
    const { store } = make();
    const now = Date.now();
    expect(await store.openSession('ada', 's1', now, 2)).toEqual({ opened: true, live: 1 });
    expect(await store.openSession('ada', 's2', now + 100, 2)).toEqual({ opened: true, live: 2 });
    expect(await store.openSession('ada', 's3', now + 100, 2)).toEqual({ opened: false, live: 2 });
    // The refused one was not registered: closing s2 leaves s1 alone.
    expect(await store.closeSession('ada', 's2', now + 100)).toBe(1);
    expect(await store.openSession('ada', 's4', now + 100, 2)).toEqual({ opened: true, live: 2 });
    // s1 is stale a TTL after `now`, s4 is not: s1 makes room and is removed.
    const later = now + PRESENCE_TTL_MS + 50;
    expect(await store.openSession('ada', 's5', later, 2)).toEqual({ opened: true, live: 2 });
    expect(await store.closeSession('ada', 's4', later)).toBe(1);
  });

  it('edits and deletes check the author atomically; a delete leaves the delete event in place of the message and its edits', async () => {
    const { store } = make({ recentLimit: 10 });
    const got: string[] = [];
    await store.subscribe({ kind: 'channel', id: 'general' }, (f) => got.push(f.toString()));
    const change = { messageId: 'm1', userId: 'ada' };
    const s0 = await store.append('general', env('before'));
    const s1 = await store.append('general', env('secret one'), change);
    await store.append('general', env('reply stays'), { messageId: 'm2', userId: 'bob' });
    expect(await store.editMessage('general', env('secret two'), { messageId: 'm1', userId: 'bob' })).toEqual({ refused: 'forbidden' });
    expect(await store.editMessage('general', env('x'), { messageId: 'nope', userId: 'ada' })).toEqual({ refused: 'not_found' });
    const edit = await store.editMessage('general', env('secret two'), change);
    expect(edit).toEqual({ seq: expect.stringMatching(/^\d+-\d+$/) });
    expect(await store.deleteMessage('general', env('x'), { messageId: 'm1', userId: 'bob' })).toEqual({ refused: 'forbidden' });
    const del = await store.deleteMessage('general', env('tombstone'), change);
    expect(del).toEqual({ seq: expect.stringMatching(/^\d+-\d+$/) });
    const delSeq = (del as { seq: string }).seq;
    await store.append('general', env('after'));

    expect(texts((await store.after('general', '0-0', 100)).frames)).toEqual(['before', 'reply stays', 'tombstone', 'after']);
    expect(texts(await store.recent('general'))).toEqual(['before', 'reply stays', 'tombstone', 'after']);
    expect(texts(await store.before('general', delSeq, 10))).toEqual(['before', 'reply stays']);
    expect((await store.after('general', s0, 10)).trimmed).toBe(false);
    expect(s1).toBeDefined();
    // Gone for good: no edit, no second delete, no author; the other message is untouched.
    expect(await store.editMessage('general', env('secret three'), change)).toEqual({ refused: 'not_found' });
    expect(await store.deleteMessage('general', env('x'), change)).toEqual({ refused: 'not_found' });
    expect(await store.authorOf('general', 'm1')).toBeUndefined();
    expect(await store.authorOf('general', 'm2')).toBe('bob');
    // Live subscribers got every event as it happened, the delete among them.
    await expect.poll(() => got.length).toBe(6);
    expect(texts(got)).toEqual(['before', 'secret one', 'reply stays', 'secret two', 'tombstone', 'after']);
  });

  it('presence per channel; an entry not refreshed within the TTL reads as offline', async () => {
    const { store } = make();
    await store.setPresence([], 'ada', { status: 'online', lastSeenAt: Date.now() });
    await store.setPresence(['general', 'random'], 'ada', { status: 'away', lastSeenAt: Date.now() });
    expect((await store.presence('general')).get('ada')).toMatchObject({ status: 'away' });
    const old = Date.now() - PRESENCE_TTL_MS - 1000;
    await store.setPresence(['general'], 'bob', { status: 'online', lastSeenAt: old });
    expect((await store.presence('general')).get('bob')).toEqual({ status: 'offline', lastSeenAt: old });
    expect((await store.presence('random')).has('bob')).toBe(false);
  });

  it('typing entries expire after the TTL', async () => {
    const { store } = make();
    const now = Date.now();
    await store.setTyping('general', { userId: 'ada' }, true, now);
    await store.setTyping('general', { userId: 'bob', threadId: 't|1' }, true, now);
    expect((await store.typing('general', now)).sort((a, b) => a.userId.localeCompare(b.userId))).toEqual([
      { userId: 'ada' },
      { userId: 'bob', threadId: 't|1' },
    ]);
    await store.setTyping('general', { userId: 'ada' }, false, now);
    expect(await store.typing('general', now)).toEqual([{ userId: 'bob', threadId: 't|1' }]);
    expect(await store.typing('general', now + TYPING_TTL_MS + 50)).toEqual([]);
  });

  it('direct conversations: kept like a channel, listed per participant, published to each participant once', async () => {
    const { store, transport } = make();
    const got: string[] = [];
    await store.subscribe({ kind: 'agent', id: 'ada' }, (f) => got.push(`ada ${f.toString()}`));
    await store.subscribe({ kind: 'agent', id: 'bob' }, (f) => got.push(`bob ${f.toString()}`));
    const s1 = await store.appendDirect('dm:ada:bob', ['ada', 'bob'], env('d1'), { messageId: 'm1', userId: 'ada' });
    const s2 = await store.appendDirect('dm:ada:bob', ['bob', 'ada'], env('d2'), { messageId: 'm2', userId: 'bob' });
    const s3 = await store.appendDirect('dm:ada:ada', ['ada', 'ada'], env('note'), { messageId: 'm3', userId: 'ada' });
    await expect.poll(() => got.length).toBe(5);
    await sleep(50);
    expect(got.filter((g) => g.startsWith('bob')).map((g) => JSON.parse(g.slice(4)).seq)).toEqual([s1, s2]);
    expect(got.filter((g) => g.startsWith('ada')).map((g) => JSON.parse(g.slice(4)).seq)).toEqual([s1, s2, s3]);
    expect(texts(await store.recent('dm:ada:bob'))).toEqual(['d1', 'd2']);
    expect(texts((await store.after('dm:ada:bob', s1, 10)).frames)).toEqual(['d2']);
    expect(texts(await store.before('dm:ada:bob', s2, 10))).toEqual(['d1']);
    expect(await store.lastSeq('dm:ada:bob')).toBe(s2);
    expect(await store.authorOf('dm:ada:bob', 'm2')).toBe('bob');
    expect((await store.directConversations('ada')).sort()).toEqual(['dm:ada:ada', 'dm:ada:bob']);
    expect(await store.directConversations('bob')).toEqual(['dm:ada:bob']);
    expect(await store.directConversations('eve')).toEqual([]);
    // Its own keys, apart from the channels': nothing of it in a channel's history.
    expect(await store.recent('general')).toEqual([]);
    const keys = createChatKeys(transport.keys);
    expect(keys.stream('dm:ada:bob')).toBe(transport.keys.key('chat', 'dm', 'ada', 'bob', 'stream'));
    expect(keys.directs('ada')).toBe(transport.keys.key('chat', 'user', 'ada', 'directs'));
    if (transport.redis) {
      const redis = transport.redis as Redis;
      expect(await redis.xlen(keys.stream('dm:ada:bob'))).toBe(2);
      expect(await redis.ttl(keys.directs('ada'))).toBe(-1);
    }
    expect(s3).toBeDefined();
  });

  it('announcements: kept like a channel under keys of their own, published on the global target', async () => {
    const { store, transport } = make();
    const other = createChatStore(transport, OPTIONS);
    const got: string[] = [];
    await other.subscribe({ kind: 'global' }, (f) => got.push(f.toString()));
    const seqs: string[] = [];
    for (let i = 0; i < 4; i++) seqs.push(await store.appendAnnouncement(env(`a${i}`)));
    await expect.poll(() => got.length).toBe(4);
    expect(got.map((f) => JSON.parse(f).seq)).toEqual(seqs);
    expect(JSON.parse(got[0]!)).toMatchObject({ type: 'event', seq: seqs[0], env: { payload: { text: 'a0' } } });
    expect(texts(await store.recent(ANNOUNCEMENTS_ID))).toEqual(['a1', 'a2', 'a3']);
    expect(texts((await store.after(ANNOUNCEMENTS_ID, seqs[1]!, 10)).frames)).toEqual(['a2', 'a3']);
    expect(texts(await store.before(ANNOUNCEMENTS_ID, seqs[2]!, 10))).toEqual(['a0', 'a1']);
    expect(await store.lastSeq(ANNOUNCEMENTS_ID)).toBe(seqs[3]);
    expect(await store.recent('general')).toEqual([]);
    const keys = createChatKeys(transport.keys);
    expect(keys.stream(ANNOUNCEMENTS_ID)).toBe(transport.keys.key('chat', 'announcements', 'stream'));
    expect(keys.recent(ANNOUNCEMENTS_ID)).toBe(transport.keys.key('chat', 'announcements', 'recent'));
    if (transport.redis) expect(await (transport.redis as Redis).xlen(keys.stream(ANNOUNCEMENTS_ID))).toBe(4);
    await other.close();
  });

  it('Pub/Sub: channel appends and published frames reach subscribers of the same transport until unsubscribed', async () => {
    const { store, transport } = make();
    const other = createChatStore(transport, OPTIONS);
    const got: string[] = [];
    const gotOther: string[] = [];
    await store.subscribe({ kind: 'channel', id: 'general' }, (f) => got.push(f.toString()));
    await other.subscribe({ kind: 'channel', id: 'general' }, (f) => gotOther.push(f.toString()));
    await other.subscribe({ kind: 'global' }, (f) => gotOther.push(f.toString()));
    await store.subscribe({ kind: 'agent', id: 'bot' }, (f) => got.push(`dm ${f.toString()}`));
    const seq = await store.append('general', env('live'));
    await store.publish({ kind: 'agent', id: 'bot' }, 'hello bot');
    await store.publish({ kind: 'global' }, 'everyone');
    await expect.poll(() => got.length + gotOther.length).toBe(4);
    expect(JSON.parse(got[0]!)).toMatchObject({ type: 'event', seq, env: { payload: { text: 'live' } } });
    expect(got[1]).toBe('dm hello bot');
    expect(JSON.parse(gotOther[0]!)).toMatchObject({ type: 'event', seq });
    expect(gotOther[1]).toBe('everyone');
    await store.unsubscribe({ kind: 'channel', id: 'general' });
    await store.unsubscribe({ kind: 'channel', id: 'general' });
    await store.append('general', env('after'));
    await expect.poll(() => gotOther.length).toBe(3);
    await sleep(50);
    expect(got).toHaveLength(2);
    await other.close();
    await store.close();
    await store.close();
  });
});
