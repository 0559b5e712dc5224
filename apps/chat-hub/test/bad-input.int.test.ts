import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { TOKENS, cleanup, holdClock, rawSocket, sleep, startHub, type RawSocket } from './helpers';

afterEach(cleanup);

/** A watcher in #general: anything broadcast by mistake shows up in its frames. */
async function watcher(ws: string): Promise<RawSocket> {
  const w = await rawSocket(ws);
  await w.hello(TOKENS.bob, { recent: false });
  return w;
}

/** What a watcher received besides presence (ada coming online is no broadcast by mistake). */
function broadcast(s: RawSocket) {
  return s.events().filter((e) => e.env.type !== 'channel.presence');
}

/**
 * Resolves once the hub has read every frame sent before. ws answers a protocol ping itself, after
 * the data frames ahead of it and without passing the hub's flood guard: this holds even when the
 * guard drops every frame, answering none.
 */
function seenByHub(s: RawSocket): Promise<void> {
  return new Promise((resolve) => {
    s.ws.once('pong', () => resolve());
    s.ws.ping();
  });
}

/** The connection is still up and answering. */
async function stillUp(s: RawSocket, ref: string): Promise<void> {
  s.send({ type: 'ping', ref });
  await s.until((f) => f.type === 'pong' && f.ref === ref);
}

describe('bad input gets an error frame, the connection stays up, nothing is broadcast', () => {
  it('malformed frames, unknown and hub-only types, invalid payloads', async () => {
    const { ws } = await startHub();
    const bob = await watcher(ws);
    const ada = await rawSocket(ws);
    await ada.hello(TOKENS.ada, { recent: false });

    const cases: [unknown, string, RegExp][] = [
      ['{not json', 'bad_frame', /not JSON/],
      ['[1,2,3]', 'bad_frame', /JSON object with a string "type"/],
      ['"just a string"', 'bad_frame', /JSON object/],
      [{ type: 42 }, 'bad_frame', /string "type"/],
      [{ type: 'message.send', ref: 'u1' }, 'unknown_type', /unknown frame type "message\.send"; clients send hello, ping/],
      [{ type: 'channel.presence', ref: 'u2', payload: {} }, 'unsupported', /come from the hub/],
      [{ type: 'system.restart', ref: 'u3', payload: { message: 'x' } }, 'unsupported', /come from the hub/],
      [{ type: 'channel.message', ref: 'v1', payload: { channelId: 'general' } }, 'invalid_payload', /payload\.text/],
      [{ type: 'channel.message', ref: 'v2', payload: { channelId: 'general', text: '' } }, 'invalid_payload', /payload\.text/],
      [
        { type: 'channel.message', ref: 'v3', payload: { channelId: 'general', text: 'spoof', author: { id: 'bob', kind: 'human' } } },
        'invalid_payload',
        /author/,
      ],
      [{ type: 'channel.message', ref: 'v4', payload: { channelId: 'No Such Channel!', text: 'x' } }, 'invalid_payload', /payload\.channelId/],
      [{ type: 'channel.reaction.add', ref: 'v5', payload: { channelId: 'general', messageId: 'm', emoji: 'two words' } }, 'invalid_payload', /emoji/],
      [{ type: 'hello', ref: 'v6', token: TOKENS.ada }, 'bad_frame', /hello was already sent/],
      [{ type: 'history', ref: 'v7', channelId: 'general', before: 'yesterday' }, 'invalid_payload', /before/],
      [{ type: 'channel.message', ref: 'v8', payload: { channelId: 'random', text: 'x', mentions: ['not valid!'] } }, 'invalid_payload', /mentions/],
      [{ type: 'presence', ref: 'v9', status: 'offline' }, 'invalid_payload', /status/],
    ];
    for (const [frame, code, message] of cases) {
      const before = ada.frames.length;
      ada.send(frame);
      const err = await ada.until((f) => ada.frames.indexOf(f) >= before && f.type === 'error');
      expect(err, JSON.stringify(frame)).toMatchObject({ code, message: expect.stringMatching(message) });
      if (typeof frame === 'object' && frame !== null && 'ref' in frame) expect(err).toMatchObject({ ref: (frame as { ref: string }).ref });
    }
    await stillUp(ada, 'after-bad-frames');
    const binary = ada.frames.length;
    ada.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await ada.until((f) => ada.frames.indexOf(f) >= binary && f.type === 'error')).toMatchObject({ code: 'bad_frame', message: expect.stringMatching(/binary/) });
    await sleep(100);
    expect(broadcast(bob)).toEqual([]);
  });

  it('a frame over maxFrameBytes gets too_large and the connection stays; over maxPayloadBytes it closes (1009)', async () => {
    const { ws } = await startHub({ maxFrameBytes: 4096, maxPayloadBytes: 16_384 });
    const bob = await watcher(ws);
    const ada = await rawSocket(ws);
    await ada.hello(TOKENS.ada, { recent: false });
    ada.send({ type: 'channel.message', ref: 'big', payload: { channelId: 'general', text: 'x'.repeat(5000) } });
    expect(await ada.until((f) => f.type === 'error')).toMatchObject({ code: 'too_large', message: expect.stringMatching(/over the hub's limit of 4096 \(maxFrameBytes\)/) });
    await stillUp(ada, 'after-large');
    ada.send({ type: 'channel.message', ref: 'huge', payload: { channelId: 'general', text: 'x'.repeat(20_000) } });
    expect((await ada.closed).code).toBe(1009);
    await sleep(100);
    expect(broadcast(bob)).toEqual([]);
    await stillUp(bob, 'watcher-fine');
  });

  it('flooding: frames past the connection’s bucket get a rate_limited frame, at most one a second, are dropped, and the connection stays', async () => {
    // Held before anyone connects: the flood guard takes its clock when the connection opens.
    // Time moves only when the test says, so a stall cannot refill the bucket or end the second.
    const clock = holdClock();
    const { ws } = await startHub({ flood: { capacity: 20, refillPerSecond: 10, closeAfterDropped: 100_000 } });
    const bob = await watcher(ws);
    const ada = await rawSocket(ws);
    await ada.hello(TOKENS.ada, { recent: false });
    const notices = () => ada.frames.filter((f) => f.type === 'rate_limited' && f.action === 'frames');
    const pongs = (prefix: string) => ada.frames.filter((f) => f.type === 'pong' && f.ref?.startsWith(prefix)).length;

    for (let i = 0; i < 300; i++) ada.send({ type: 'channel.typing', ref: `f${i}`, payload: { channelId: 'random', typing: i % 2 === 0 } });
    await seenByHub(ada);
    // 281 frames dropped at one instant, one notice: the answers are no flood of their own.
    expect(notices()).toEqual([{ type: 'rate_limited', action: 'frames', retryAfterMs: 100 }]);
    // 999 ms on, the bucket holds 9.99 frames: a ping gets through, and as frames are handled in
    // order, its pong follows every answer to what the flood got through.
    clock.advance(999);
    await stillUp(ada, 'sync-1');
    // The burst of 20 less the hello; nothing refilled while the clock stood still.
    expect(ada.frames.filter((f) => f.type === 'ack' || (f.type === 'rate_limited' && f.action === 'typing'))).toHaveLength(19);

    // Still inside the notice's second: 8 of 20 get through, the 12 dropped are not answered.
    for (let i = 0; i < 20; i++) ada.send({ type: 'ping', ref: `p${i}` });
    await seenByHub(ada);
    clock.advance(101);
    await stillUp(ada, 'sync-2');
    expect(pongs('p')).toBe(8);
    expect(notices()).toHaveLength(1);

    // A second after the first notice, a drop is answered again.
    for (let i = 0; i < 5; i++) ada.send({ type: 'ping', ref: `q${i}` });
    await seenByHub(ada);
    expect(notices()).toHaveLength(2);

    clock.advance(1_100);
    await stillUp(ada, 'after-flood');
    expect(broadcast(bob)).toEqual([]);
  });

  it('a flood that never stops is closed with 1008', async () => {
    const { ws } = await startHub({ flood: { capacity: 5, refillPerSecond: 1, closeAfterDropped: 50 } });
    const ada = await rawSocket(ws);
    await ada.hello(TOKENS.ada, { recent: false });
    for (let i = 0; i < 100; i++) ada.send({ type: 'ping' });
    expect(await ada.closed).toMatchObject({ code: 1008, reason: expect.stringMatching(/flooding/) });
  });

  it('per-user, per-action rate limits (shared by every session) answer with rate_limited and retryAfterMs; nothing past them is broadcast', async () => {
    const { ws } = await startHub({ rateLimits: { message: { capacity: 3, refillPerSecond: 0.5 } } });
    const bob = await watcher(ws);
    const ada = await rawSocket(ws);
    await ada.hello(TOKENS.ada, { recent: false });
    const ada2 = await rawSocket(ws);
    await ada2.hello(TOKENS.ada, { recent: false });
    for (let i = 0; i < 2; i++) ada.send({ type: 'channel.message', ref: `m${i}`, payload: { channelId: 'general', text: `m${i}` } });
    await ada.until((f) => f.type === 'ack' && f.ref === 'm1');
    ada2.send({ type: 'channel.message', ref: 'm2', payload: { channelId: 'general', text: 'm2' } });
    await ada2.until((f) => f.type === 'ack' && f.ref === 'm2');
    ada.send({ type: 'channel.message', ref: 'm3', payload: { channelId: 'general', text: 'm3' } });
    const limited = await ada.until((f) => f.type === 'rate_limited' && f.ref === 'm3');
    expect(limited).toMatchObject({ action: 'message', retryAfterMs: expect.any(Number) });
    if (limited.type === 'rate_limited') expect(limited.retryAfterMs).toBeGreaterThan(1000);
    // Typing has its own bucket.
    ada.send({ type: 'channel.typing', ref: 't', payload: { channelId: 'general', typing: true } });
    await ada.until((f) => f.type === 'ack' && f.ref === 't');
    await sleep(100);
    expect(bob.events('channel.message').map((e) => (e.env.payload as { text: string }).text)).toEqual(['m0', 'm1', 'm2']);
  });

  it('frames before hello are refused; a connection that never says hello is closed (4408)', async () => {
    // Long enough that a stall cannot fire the timeout before the early frame is answered.
    const { ws } = await startHub({ helloTimeoutMs: 1_000 });
    const s = await rawSocket(ws);
    s.send({ type: 'channel.message', ref: 'early', payload: { channelId: 'general', text: 'hi' } });
    expect(await s.until((f) => f.type === 'error')).toMatchObject({ ref: 'early', code: 'unauthorized', message: expect.stringMatching(/hello/) });
    expect(await s.closed).toMatchObject({ code: 4408 });
    expect(s.frames.at(-1)).toMatchObject({ code: 'unauthorized', message: expect.stringMatching(/helloTimeoutMs/) });
  });

  it('a client that does not read is dropped (1013) instead of the hub buffering for it', async () => {
    const { ws, hub } = await startHub({ maxBufferedBytes: 1, flood: { capacity: 1000 }, rateLimits: { message: { capacity: 1000, refillPerSecond: 1000 } } });
    const slow = new WebSocket(ws);
    await new Promise((r) => slow.once('open', r));
    slow.send(JSON.stringify({ type: 'hello', token: TOKENS.bob, recent: false }));
    const closed = new Promise<number>((r) => slow.once('close', (code) => r(code)));
    await new Promise((r) => slow.once('message', r));
    // Stop reading: the hub's socket buffer fills, bufferedAmount grows past 1 byte.
    (slow as unknown as { _socket: { pause(): void } })._socket.pause();
    const ada = await rawSocket(ws);
    await ada.hello(TOKENS.ada, { recent: false });
    const text = 'y'.repeat(39_000);
    for (let i = 0; i < 500; i++) ada.send({ type: 'channel.message', payload: { channelId: 'general', text } });
    await ada.until((f) => f.type === 'event' && f.env.type === 'channel.message', 10_000);
    // Resumed only once the hub has let go of it, so however slow this machine, the resumed
    // reader cannot drain the backlog before the hub gives up on it.
    await expect.poll(() => hub.sessions(), { timeout: 20_000 }).toBe(1);
    (slow as unknown as { _socket: { resume(): void } })._socket.resume();
    // 1013 when the close frame got into the buffer before the hub cut the connection, else 1006.
    expect([1013, 1006]).toContain(await closed);
    await stillUp(ada, 'writer-fine');
  });
});
