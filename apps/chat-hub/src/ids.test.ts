import { describe, expect, it } from 'vitest';
import { channelIdSchema, compareSeq, conversationIdSchema, directChannelId, directParticipants, seqSchema, userIdSchema } from './ids';

describe('ids', () => {
  it('channel and user ids are safe as key parts and Pub/Sub channel names', () => {
    expect(channelIdSchema.safeParse('general').success).toBe(true);
    expect(channelIdSchema.safeParse('ops.alerts-2').success).toBe(true);
    for (const bad of ['', 'General', 'a b', 'a:b', '{x}', '-x', 'x'.repeat(81)]) expect(channelIdSchema.safeParse(bad).success).toBe(false);
    expect(userIdSchema.safeParse('Haiku-1.agent_2').success).toBe(true);
    for (const bad of ['', 'a@b', 'a:b', 'a b', '.x', 'x'.repeat(65)]) expect(userIdSchema.safeParse(bad).success).toBe(false);
    expect(seqSchema.safeParse('1700000000000-0').success).toBe(true);
    expect(seqSchema.safeParse('1700000000000').success).toBe(false);
  });

  it('a direct conversation has one id from either side', () => {
    expect(directChannelId('bob', 'ada')).toBe('dm:ada:bob');
    expect(directChannelId('ada', 'bob')).toBe('dm:ada:bob');
    expect(directParticipants('dm:ada:bob')).toEqual(['ada', 'bob']);
    expect(directParticipants('dm:ada:ada')).toEqual(['ada', 'ada']);
    for (const bad of ['dm:bob:ada', 'dm:ada', 'dm:ada:bob:x', 'general', 'dm:a b:c']) expect(directParticipants(bad)).toBeUndefined();
    for (const ok of ['general', 'dm:Ada:bob']) expect(conversationIdSchema.safeParse(ok).success).toBe(true);
    for (const bad of ['dm:bob:ada', 'General', 'a:b']) expect(conversationIdSchema.safeParse(bad).success).toBe(false);
  });

  it('orders stream ids numerically', () => {
    expect(compareSeq('9-0', '10-0')).toBe(-1);
    expect(compareSeq('10-2', '10-10')).toBe(-1);
    expect(compareSeq('10-1', '10-1')).toBe(0);
    expect(compareSeq('0011-0', '10-5')).toBe(1);
  });
});
