import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import { ValidationError } from '../errors';
import { unwrap } from '../result';
import {
  CHAT_EVENT_TYPES,
  CHAT_PAYLOAD_SCHEMAS,
  chatEventSchema,
  chatPayloadSchema,
  decodeChatEvent,
  isChatEventType,
  type ChatEvent,
  type NamedChatEventType,
} from './chat-events';

const author = { id: 'u1', kind: 'human' as const, name: 'Ada' };

/** One valid payload per named type: what the hub and the web page send. */
const samples: { [T in NamedChatEventType]: z.input<(typeof CHAT_PAYLOAD_SCHEMAS)[T]> } = {
  'channel.message': { channelId: 'c1', messageId: 'm1', author, text: 'hi @bot', mentions: ['bot'] },
  'channel.message.edit': { channelId: 'c1', messageId: 'm1', editedBy: 'u1', text: 'hi @bot!' },
  'channel.message.delete': { channelId: 'c1', messageId: 'm1', deletedBy: 'u1' },
  'channel.reaction.add': { channelId: 'c1', messageId: 'm1', userId: 'u1', emoji: '👍' },
  'channel.reaction.remove': { channelId: 'c1', messageId: 'm1', userId: 'u1', emoji: ':tada:' },
  'channel.typing': { channelId: 'c1', userId: 'u1', typing: true },
  'channel.presence': { userId: 'u1', status: 'away', lastSeenAt: 1_764_494_102_000 },
  'channel.member.join': { channelId: 'c1', member: { id: 'haiku-1', kind: 'agent' } },
  'channel.member.leave': { channelId: 'c1', memberId: 'haiku-1', removedBy: 'u1' },
  'channel.member.update': { channelId: 'c1', memberId: 'haiku-1', updatedBy: 'u1', role: 'admin' },
  'channel.update': { channelId: 'c1', updatedBy: 'u1', topic: '' },
  'channel.archive': { channelId: 'c1', archivedBy: 'u1' },
  'channel.delete': { channelId: 'c1', deletedBy: 'u1' },
  'thread.create': { channelId: 'c1', threadId: 't1', parentMessageId: 'm1', createdBy: 'u1' },
  'thread.update': { channelId: 'c1', threadId: 't1', updatedBy: 'u1', resolved: true },
  'thread.message': { channelId: 'c1', threadId: 't1', messageId: 'm2', author, text: 'reply' },
  'collaboration.event': {
    channelId: 'c1',
    actor: 'haiku-1',
    kind: 'task.claimed',
    subject: { type: 'task', id: 't-42' },
  },
};

describe('chat events', () => {
  it('lists the 17 named types and the system.* prefix, each named one with a payload schema', () => {
    expect(CHAT_EVENT_TYPES).toHaveLength(18);
    expect(CHAT_EVENT_TYPES.filter((t) => t !== 'system.*').sort()).toEqual(Object.keys(CHAT_PAYLOAD_SCHEMAS).sort());
  });

  it.each(Object.entries(samples))('decodes a valid %s event', (type, payload) => {
    const event = unwrap(decodeChatEvent({ type, payload }));
    expect(event.type).toBe(type);
    expect(chatEventSchema.parse({ type, payload })).toEqual(event);
    // A decoded event decodes to itself: the hub can store and replay it as it is.
    expect(unwrap(decodeChatEvent(JSON.parse(JSON.stringify(event))))).toEqual(event);
  });

  it('fills defaults a client may leave out', () => {
    const msg = unwrap(decodeChatEvent({ type: 'thread.message', payload: samples['thread.message'] }));
    expect(msg.payload).toMatchObject({ mentions: [], alsoInChannel: false });
    const join = unwrap(decodeChatEvent({ type: 'channel.member.join', payload: samples['channel.member.join'] }));
    expect(join.payload).toMatchObject({ role: 'member' });
  });

  it('narrows the payload type by the event type', () => {
    const event = unwrap(decodeChatEvent({ type: 'channel.typing', payload: samples['channel.typing'] }));
    if (event.type === 'channel.typing') expectTypeOf(event.payload.typing).toEqualTypeOf<boolean>();
    expectTypeOf<z.output<typeof chatEventSchema>>().toExtend<ChatEvent>();
  });

  it('accepts any system.* type with a loose payload', () => {
    const event = unwrap(
      decodeChatEvent({ type: 'system.maintenance', payload: { message: 'restart at 02:00', level: 'warning', window: 5 } }),
    );
    expect(event).toEqual({ type: 'system.maintenance', payload: { message: 'restart at 02:00', level: 'warning', window: 5 } });
    expect(chatEventSchema.safeParse(event).success).toBe(true);
    expect(isChatEventType('system.hub.restart')).toBe(true);
    expect(isChatEventType('system.')).toBe(false);
    expect(isChatEventType('system.has space')).toBe(false);
  });

  it.each([
    ['channel.message', { ...samples['channel.message'], text: '' }, 'payload.text', 'too_small'],
    ['channel.message', { ...samples['channel.message'], author: { id: 'u1', kind: 'robot' } }, 'payload.author.kind', 'invalid_value'],
    ['channel.message', { ...samples['channel.message'], mentions: 'bot' }, 'payload.mentions', 'invalid_type'],
    ['channel.message', { ...samples['channel.message'], colour: 'red' }, 'payload', 'unrecognized_keys'],
    ['channel.reaction.add', { ...samples['channel.reaction.add'], emoji: 'thumbs up' }, 'payload.emoji', 'invalid_format'],
    ['channel.typing', { ...samples['channel.typing'], typing: 'yes' }, 'payload.typing', 'invalid_type'],
    ['channel.presence', { ...samples['channel.presence'], status: 'busy' }, 'payload.status', 'invalid_value'],
    ['channel.member.update', { channelId: 'c1', memberId: 'm', updatedBy: 'u1' }, 'payload', 'custom'],
    ['thread.message', { ...samples['thread.message'], threadId: undefined }, 'payload.threadId', 'invalid_type'],
    ['collaboration.event', { ...samples['collaboration.event'], kind: 'Task Claimed' }, 'payload.kind', 'invalid_format'],
    ['system.notice', { level: 'fatal' }, 'payload.level', 'invalid_value'],
  ])('names the field of a bad %s payload', (type, payload, path, rule) => {
    const r = decodeChatEvent({ type, payload });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toBeInstanceOf(ValidationError);
    expect(r.error.issues[0]).toMatchObject({ path, rule });
  });

  it('names type for an unknown or missing event type, without throwing on garbage', () => {
    for (const value of [{ type: 'channel.shout', payload: {} }, { payload: {} }, null, 'channel.message', 42]) {
      const r = decodeChatEvent(value);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.issues[0]).toMatchObject({ path: 'type', rule: 'invalid_value' });
    }
  });

  it('rejects fields beside type and payload', () => {
    const r = decodeChatEvent({ type: 'channel.delete', payload: samples['channel.delete'], extra: 1 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.issues[0]).toMatchObject({ path: '', rule: 'unrecognized_keys' });
  });

  it('looks up payload schemas by type, system.* by prefix', () => {
    expect(chatPayloadSchema('channel.message')).toBe(CHAT_PAYLOAD_SCHEMAS['channel.message']);
    expect(chatPayloadSchema('system.x')?.safeParse({ anything: true }).success).toBe(true);
    expect(chatPayloadSchema('channel.shout')).toBeUndefined();
    expect(chatPayloadSchema('__proto__')).toBeUndefined();
  });

  it('round-trips any valid message through JSON (property)', () => {
    const id = fc.string({ minLength: 1, maxLength: 256 });
    const arb = fc.record({
      channelId: id,
      messageId: id,
      author: fc.record({ id, kind: fc.constantFrom('human' as const, 'agent' as const) }),
      text: fc.string({ minLength: 1, maxLength: 500 }),
      mentions: fc.array(id, { maxLength: 5 }),
    });
    fc.assert(
      fc.property(arb, (payload) => {
        const event = { type: 'channel.message', payload };
        expect(unwrap(decodeChatEvent(JSON.parse(JSON.stringify(event))))).toEqual(event);
      }),
    );
  });
});
