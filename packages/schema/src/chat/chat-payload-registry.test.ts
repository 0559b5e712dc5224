import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createEnvelope } from '../envelope';
import { createPayloadRegistry, decodeEnvelope, encodeEnvelope } from '../envelope-codec';
import { unwrap } from '../result';
import { CHAT_PAYLOAD_SCHEMAS, systemChatPayloadSchema } from './chat-events';
import { createChatPayloadRegistry } from './chat-payload-registry';

describe('createChatPayloadRegistry', () => {
  it('registers every named chat payload and the system.* rule', () => {
    const registry = createChatPayloadRegistry();
    for (const [type, schema] of Object.entries(CHAT_PAYLOAD_SCHEMAS)) expect(registry.get(type)).toBe(schema);
    expect(registry.get('system.restart')).toBe(systemChatPayloadSchema);
    expect(registry.get('system.')).toBeUndefined();
    expect(registry.get('task_request')).toBeUndefined();
    expect(registry.types()).toContain('system.*');
    expect(registry.types()).toHaveLength(18);
  });

  it('validates chat payloads inside envelopes, naming the payload field', () => {
    const payloads = createChatPayloadRegistry();
    const good = createEnvelope({
      type: 'channel.typing',
      from: 'u1',
      to: 'c1',
      payload: { channelId: 'c1', userId: 'u1', typing: false },
    });
    const text = unwrap(encodeEnvelope(good));
    expect(unwrap(decodeEnvelope(text, { payloads })).payload).toEqual(good.payload);

    const bad = unwrap(encodeEnvelope({ ...good, payload: { channelId: 'c1', userId: 'u1' } }));
    const r = decodeEnvelope(bad, { payloads });
    expect(r.ok).toBe(false);
    if (!r.ok && 'issues' in r.error) expect(r.error.issues[0]).toMatchObject({ path: 'payload.typing', rule: 'invalid_type' });

    const notice = unwrap(encodeEnvelope({ ...good, type: 'system.restart', payload: { level: 'panic' } }));
    expect(decodeEnvelope(notice, { payloads }).ok).toBe(false);
  });

  it('lets an exact system.* registration win over the prefix rule, and keeps other types of a base', () => {
    const restart = z.strictObject({ at: z.number() });
    const other = z.object({ n: z.number() });
    const base = createPayloadRegistry({ task_request: other });
    const registry = createChatPayloadRegistry(base).register('system.restart', restart);
    expect(registry.get('system.restart')).toBe(restart);
    expect(base.get('system.restart')).toBe(restart);
    expect(registry.get('system.other')).toBe(systemChatPayloadSchema);
    expect(registry.get('task_request')).toBe(other);
    expect(base.get('channel.message')).toBe(CHAT_PAYLOAD_SCHEMAS['channel.message']);
  });
});
