import { afterEach, describe, expect, it } from 'vitest';
import type { ChatDelivery, HistoryFrame } from '../src/index';
import { createChatHub } from '../src/index';
import { TOKENS, TOKEN_CONFIG, cleanup, client, memoryTransport, rawSocket, startHub } from './helpers';

afterEach(cleanup);

describe('chat hub on the memory backend (the embedded npm start)', () => {
  it('two hubs on one memory transport are one chat', async () => {
    const transport = memoryTransport();
    const a = await startHub({ transport });
    const b = await startHub({ transport });
    const ada = client(a.ws, TOKENS.ada);
    const bob = client(b.ws, TOKENS.bob);
    await Promise.all([ada.connect(), bob.connect()]);
    const got = bob.receive('channel.message');
    const ack = await ada.post('general', 'across hubs in one process');
    expect((await got).seq).toBe(ack.seq);
    expect(transport.backend).toBe('memory');
  });

  it('a reconnecting client gets the gap, marked truncated when the replay limit cut it', async () => {
    const { ws } = await startHub({ transport: memoryTransport(), replayLimit: 3 });
    const bot = client(ws, TOKENS.bot);
    await bot.connect();
    const first = await bot.post('general', 'm0');
    for (let i = 1; i <= 5; i++) await bot.post('general', `m${i}`);
    const bob = await rawSocket(ws);
    await bob.hello(TOKENS.bob, { since: { general: first.seq } });
    const h = (await bob.until((f) => f.type === 'history')) as HistoryFrame;
    expect(h).toMatchObject({ reason: 'resume', truncated: true, more: false });
    expect(h.events.map((e) => (e.env.payload as { text: string }).text)).toEqual(['m1', 'm2', 'm3']);
  });

  it('the typed client reconnects after its hub went away and resumes from its last seen seq, without duplicates', async () => {
    const transport = memoryTransport();
    const a = await startHub({ transport });
    const port = Number(new URL(a.hub.url!).port);
    const bob = client(a.ws, TOKENS.bob, { minReconnectDelayMs: 20, maxReconnectDelayMs: 50 });
    const seen: ChatDelivery[] = [];
    bob.on('channel.message', (d) => seen.push(d));
    await bob.connect();
    const bot = client(a.ws, TOKENS.bot, { reconnect: false });
    await bot.connect();
    await bot.post('general', 'before');
    await expect.poll(() => seen.length).toBe(1);
    await a.hub.close();
    // A new hub on the same address (a restart); the messages meanwhile went through another one.
    const other = await startHub({ transport });
    const bot2 = client(other.ws, TOKENS.bot);
    await bot2.connect();
    await bot2.post('general', 'while away 1');
    await bot2.post('general', 'while away 2');
    await startHub({ transport, port });
    await expect.poll(() => seen.map((d) => (d.payload as { text: string }).text)).toEqual(['before', 'while away 1', 'while away 2']);
    expect(seen.slice(1).every((d) => d.replayed)).toBe(true);
    await bot2.post('general', 'live again');
    await expect.poll(() => seen.length).toBe(4);
  });

  it('a hub made without a transport runs on its own memory transport and closes it', async () => {
    const hub = createChatHub({ tokens: TOKEN_CONFIG, port: 0, log: () => undefined });
    const url = await hub.listen();
    expect(hub.transport.backend).toBe('memory');
    const ada = client(`${url.replace(/^http/, 'ws')}/ws`, TOKENS.ada);
    await ada.connect();
    expect(hub.sessions()).toBe(1);
    await hub.close();
    await expect(hub.transport.health()).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('says so when no tokens are configured, since nobody could connect', async () => {
    const lines: string[] = [];
    const hub = createChatHub({ transport: memoryTransport(), port: 0, log: (l) => lines.push(l) });
    await hub.listen();
    await hub.close();
    expect(lines.join('\n')).toMatch(/no tokens configured, so nobody can connect: pass tokens \(CHAT_TOKENS/);
  });
});
