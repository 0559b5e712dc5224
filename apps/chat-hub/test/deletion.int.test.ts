import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createChatKeys, type HistoryFrame } from '../src/index';
import { TOKENS, cleanup, client, rawSocket, startHub } from './helpers';

afterEach(cleanup);

const SECRET = /s3cret/;

describe('a deleted message’s text is gone from what the hub keeps', () => {
  it('history pages, the recent cache, a resume and the Redis keys hold the delete event, never the text (nor its edits)', async () => {
    const { ws, transport } = await startHub({ recentLimit: 4 });
    const ada = client(ws, TOKENS.ada);
    const bob = client(ws, TOKENS.bob);
    await Promise.all([ada.connect(), bob.connect()]);
    const start = await ada.post('general', 'before everything');
    const doomed = await ada.post('general', 'the s3cret plan');
    const mid = doomed.messageId!;
    await ada.edit('general', mid, 'the s3cret plan, edited');
    await bob.react('general', mid, '👀');
    const reply = await bob.reply('general', mid, 'a reply that stays');
    const doomedReply = await bob.reply('general', mid, 'my s3cret reply');
    const deletedLive = bob.receive('channel.message.delete', (d) => d.payload.messageId === mid);
    const del = await ada.deleteMessage('general', mid);
    expect(await deletedLive).toMatchObject({ seq: del.seq, payload: { channelId: 'general', messageId: mid, deletedBy: 'ada' } });
    await bob.deleteMessage('general', doomedReply.messageId!, { threadId: mid });
    for (let i = 0; i < 3; i++) await ada.post('general', `later ${i}`);

    // Everything kept, paged from the newest: the delete events are there, the text is not.
    const all = await bob.history('general', '99999999999999-0', 200);
    const kept = JSON.stringify(all.events);
    expect(kept).not.toMatch(SECRET);
    expect(all.events.map((e) => e.env.type)).toEqual(
      expect.arrayContaining(['channel.message.delete', 'channel.reaction.add', 'thread.create', 'thread.message']),
    );
    expect(all.events.some((e) => (e.env.payload as { messageId?: string }).messageId === reply.messageId)).toBe(true);
    expect(all.events.filter((e) => e.env.type === 'channel.message.delete').map((e) => e.seq)).toContain(del.seq);
    // An older page that once held the message.
    const page = await bob.history('general', del.seq!, 3);
    expect(JSON.stringify(page)).not.toMatch(SECRET);

    // A new connection's recent events, and a resume from before the message.
    const fresh = await rawSocket(ws);
    await fresh.hello(TOKENS.bob);
    const recent = (await fresh.until((f) => f.type === 'history' && f.channelId === 'general')) as HistoryFrame;
    expect(recent.events).toHaveLength(4);
    const resumed = await rawSocket(ws);
    await resumed.hello(TOKENS.bob, { since: { general: start.seq } });
    const gap = (await resumed.until((f) => f.type === 'history' && f.channelId === 'general')) as HistoryFrame;
    expect(gap.events.map((e) => e.seq)).toContain(del.seq);
    expect(JSON.stringify([recent, gap])).not.toMatch(SECRET);

    // And in Redis itself: the stream and the recent cache.
    const redis = transport.redis as Redis;
    const keys = createChatKeys(transport.keys);
    expect(JSON.stringify(await redis.xrange(keys.stream('general'), '-', '+'))).not.toMatch(SECRET);
    expect(JSON.stringify(await redis.lrange(keys.recent('general'), 0, -1))).not.toMatch(SECRET);

    // A deleted message is gone for good: no edit, reaction, reply or second delete.
    await expect(ada.edit('general', mid, 'the s3cret is back')).rejects.toMatchObject({ code: 'not_found' });
    await expect(ada.deleteMessage('general', mid)).rejects.toMatchObject({ code: 'not_found' });
    await expect(bob.react('general', mid, '👍')).rejects.toMatchObject({ code: 'not_found' });
    await expect(bob.reply('general', mid, 'hello?')).rejects.toMatchObject({ code: 'not_found' });
    expect(JSON.stringify(await redis.xrange(keys.stream('general'), '-', '+'))).not.toMatch(SECRET);
  });
});
