import { describe, expect, it, vi } from 'vitest';
import { isAgentbusError } from '@agentbus/schema';
import { createMemoryPubSubBackend } from './memory-pubsub-backend';
import { createMemoryStore } from './memory-store';

function recorder() {
  const got: Array<[string, string]> = [];
  const handler = vi.fn((raw: string, channel: string) => {
    got.push([raw, channel]);
  });
  return { got, handler };
}

describe('createMemoryPubSubBackend', () => {
  it('delivers to exact-channel subscribers asynchronously, in publish order', async () => {
    const ps = createMemoryPubSubBackend();
    const r = recorder();
    await ps.subscribe('news', r.handler);
    expect(await ps.publish('news', 'one')).toBe(1);
    await ps.publish('news', 'two');
    await ps.publish('other', 'nobody');
    // Like a network: nothing arrives during the publish call itself.
    expect(r.got).toEqual([]);
    await vi.waitFor(() => expect(r.got).toHaveLength(2));
    expect(r.got).toEqual([
      ['one', 'news'],
      ['two', 'news'],
    ]);
  });

  it('returns 0 receivers and delivers nothing when nobody listens', async () => {
    const ps = createMemoryPubSubBackend();
    expect(await ps.publish('void', 'x')).toBe(0);
  });

  it('delivers to glob patterns with the concrete channel name', async () => {
    const ps = createMemoryPubSubBackend();
    const r = recorder();
    await ps.psubscribe('chat.*', r.handler);
    expect(await ps.publish('chat.room1', 'hi')).toBe(1);
    expect(await ps.publish('news.room1', 'no')).toBe(0);
    await vi.waitFor(() => expect(r.got).toEqual([['hi', 'chat.room1']]));
  });

  it('counts receivers per connection like PUBLISH, and calls every handler', async () => {
    const store = createMemoryStore();
    const a = createMemoryPubSubBackend({ store });
    const b = createMemoryPubSubBackend({ store });
    const a1 = recorder();
    const a2 = recorder();
    const b1 = recorder();
    const bp = recorder();
    await a.subscribe('ch', a1.handler);
    await a.subscribe('ch', a2.handler);
    await b.subscribe('ch', b1.handler);
    await b.psubscribe('c*', bp.handler);
    // a (one connection, two handlers) + b on the channel + b on a matching pattern.
    expect(await a.publish('ch', 'm')).toBe(3);
    await vi.waitFor(() => {
      expect(a1.got).toEqual([['m', 'ch']]);
      expect(a2.got).toEqual([['m', 'ch']]);
      expect(b1.got).toEqual([['m', 'ch']]);
      expect(bp.got).toEqual([['m', 'ch']]);
    });
  });

  it('unsubscribe removes just that handler, also for a message already in flight', async () => {
    const ps = createMemoryPubSubBackend();
    const keep = recorder();
    const drop = recorder();
    const pat = recorder();
    await ps.subscribe('ch', keep.handler);
    await ps.subscribe('ch', drop.handler);
    await ps.psubscribe('c?', pat.handler);
    await ps.publish('ch', 'in-flight');
    await ps.unsubscribe('ch', drop.handler);
    await ps.punsubscribe('c?', pat.handler);
    expect(await ps.publish('ch', 'after')).toBe(1);
    await vi.waitFor(() => expect(keep.got).toHaveLength(2));
    expect(drop.handler).not.toHaveBeenCalled();
    expect(pat.handler).not.toHaveBeenCalled();
    // Unsubscribing what is not subscribed is a no-op.
    await ps.unsubscribe('nope', drop.handler);
  });

  it('a throwing handler does not stop the others', async () => {
    const ps = createMemoryPubSubBackend();
    const ok = recorder();
    await ps.subscribe('ch', () => {
      throw new Error('handler bug');
    });
    await ps.subscribe('ch', ok.handler);
    await ps.publish('ch', 'x');
    await vi.waitFor(() => expect(ok.got).toEqual([['x', 'ch']]));
  });

  it('close drops its subscriptions and rejects later calls with CLOSED', async () => {
    const store = createMemoryStore();
    const a = createMemoryPubSubBackend({ store });
    const b = createMemoryPubSubBackend({ store });
    const r = recorder();
    await a.subscribe('ch', r.handler);
    await a.psubscribe('*', r.handler);
    await a.close();
    await a.close();
    expect(await b.publish('ch', 'x')).toBe(0);
    const error = await a.publish('ch', 'x').catch((e: unknown) => e);
    expect(isAgentbusError(error) && error.code).toBe('CLOSED');
    await expect(a.subscribe('ch', r.handler)).rejects.toMatchObject({ code: 'CLOSED' });
  });
});
