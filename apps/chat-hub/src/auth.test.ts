import { describe, expect, it } from 'vitest';
import { createAuthenticator } from './auth';

const t = (n: number) => `token-${String(n).padStart(12, '0')}`;

describe('createAuthenticator', () => {
  it('resolves a token to its identity, with "*" as every channel', () => {
    const auth = createAuthenticator(
      [
        { token: t(1), id: 'ada', name: 'Ada', channels: ['general', 'ops'] },
        { token: t(2), id: 'bot', kind: 'agent', channels: '*', announce: true },
      ],
      [{ id: 'general', topic: 'hi' }, { id: 'random' }],
    );
    expect(auth.authenticate(t(1))).toEqual({ id: 'ada', kind: 'human', name: 'Ada', channels: ['general', 'ops'], announce: false });
    expect(auth.authenticate(t(2))?.channels).toEqual(['general', 'random', 'ops']);
    expect(auth.authenticate('nope')).toBeUndefined();
    expect(auth.channels().map((c) => c.id)).toEqual(['general', 'random', 'ops']);
    expect(auth.identities().map((i) => i.id)).toEqual(['ada', 'bot']);
  });

  it('rejects bad configuration, naming the option', () => {
    expect(() => createAuthenticator([{ token: 'short', id: 'ada' }])).toThrow(/tokens \(option tokens \/ CHAT_TOKENS\): 0\.token: must be at least 16/);
    expect(() => createAuthenticator([{ token: t(1), id: 'a b' }])).toThrow(/0\.id/);
    expect(() => createAuthenticator([], [{ id: 'Bad Channel' }])).toThrow(/option channels \/ CHAT_CHANNELS/);
    expect(() => createAuthenticator([{ token: t(1), id: 'ada' }, { token: t(1), id: 'bob' }])).toThrow(/used twice/);
    expect(() => createAuthenticator([{ token: t(1), id: 'ada' }, { token: t(2), id: 'ada' }])).toThrow(/has two tokens/);
  });
});
