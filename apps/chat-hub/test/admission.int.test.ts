import { afterEach, describe, expect, it } from 'vitest';
import { createChatKeys } from '../src/index';
import { TOKENS, cleanup, client, rawSocket, redisTransport, startHub } from './helpers';

afterEach(cleanup);

describe('hello is admitted within limits', () => {
  it('connections per user are capped across hubs: the refusal names maxConnectionsPerUser and closes 4429', async () => {
    const transport = redisTransport();
    const a = await startHub({ transport, maxConnectionsPerUser: 2 });
    const b = await startHub({ transport: redisTransport(transport.keys.namespace), maxConnectionsPerUser: 2 });
    const first = await rawSocket(a.ws);
    expect(await first.hello(TOKENS.bob, { recent: false })).toMatchObject({ type: 'welcome' });
    const second = await rawSocket(b.ws);
    expect(await second.hello(TOKENS.bob, { recent: false })).toMatchObject({ type: 'welcome' });

    const third = await rawSocket(a.ws);
    third.send({ type: 'hello', token: TOKENS.bob, recent: false });
    const refusal = await third.until((f) => f.type === 'error');
    expect(refusal).toMatchObject({ code: 'too_many_connections', message: expect.stringMatching(/bob .*2 open connections.*maxConnectionsPerUser/) });
    expect(await third.closed).toMatchObject({ code: 4429 });
    expect(third.frames.some((f) => f.type === 'welcome' || f.type === 'history')).toBe(false);
    // Another user is not affected; the refused one did not count, so bob's first two stay online.
    const ada = await rawSocket(a.ws);
    expect(await ada.hello(TOKENS.ada, { recent: false })).toMatchObject({ type: 'welcome' });

    // The typed client's connect() rejects with the code; once a session closes there is room again.
    const typed = client(a.ws, TOKENS.bob, { reconnect: false });
    await expect(typed.connect()).rejects.toMatchObject({ code: 'too_many_connections' });
    first.ws.close();
    await first.closed;
    const sessions = createChatKeys(transport.keys).sessions('bob');
    await expect.poll(() => transport.redis!.hlen(sessions)).toBe(1);
    const again = await rawSocket(a.ws);
    expect(await again.hello(TOKENS.bob, { recent: false })).toMatchObject({ type: 'welcome' });
    expect(second.ws.readyState).toBe(second.ws.OPEN);
  });

  it('hello is rate-limited per user across hubs (rateLimits.hello): rate_limited, then 4429; other users go on', async () => {
    const transport = redisTransport();
    const rateLimits = { hello: { capacity: 2, refillPerSecond: 0.2 } };
    const a = await startHub({ transport, rateLimits });
    const b = await startHub({ transport: redisTransport(transport.keys.namespace), rateLimits });
    for (const ws of [a.ws, b.ws]) {
      const s = await rawSocket(ws);
      expect(await s.hello(TOKENS.eve, { recent: false })).toMatchObject({ type: 'welcome' });
      s.ws.close();
    }
    const limited = await rawSocket(a.ws);
    limited.send({ type: 'hello', token: TOKENS.eve, ref: 'h' });
    const frame = await limited.until((f) => f.type === 'rate_limited');
    expect(frame).toMatchObject({ action: 'hello', ref: 'h', retryAfterMs: expect.any(Number) });
    expect((frame as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0);
    expect(await limited.closed).toMatchObject({ code: 4429, reason: expect.stringMatching(/rateLimits\.hello/) });
    expect(limited.frames.some((f) => f.type === 'welcome')).toBe(false);

    const typed = client(b.ws, TOKENS.eve, { reconnect: false });
    await expect(typed.connect()).rejects.toMatchObject({ code: 'rate_limited', retryAfterMs: expect.any(Number) });

    const ada = await rawSocket(a.ws);
    expect(await ada.hello(TOKENS.ada, { recent: false })).toMatchObject({ type: 'welcome' });
  });

  it('one hello per connection: a second one is refused before any Redis read', async () => {
    const { ws } = await startHub();
    const s = await rawSocket(ws);
    await s.hello(TOKENS.bob, { recent: false });
    s.send({ type: 'hello', token: TOKENS.ada, ref: 'again' });
    expect(await s.until((f) => f.type === 'error' && f.ref === 'again')).toMatchObject({ code: 'bad_frame', message: expect.stringMatching(/hello was already sent/) });
  });
});
