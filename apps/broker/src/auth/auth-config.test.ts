import { describe, expect, it } from 'vitest';
import { authConfigFromEnv, parseAuthConfig } from './auth-config';

const entry = { token: 'a-long-enough-secret-123', agent: 'a', swarms: ['s'] };

describe('authConfigFromEnv', () => {
  it('is false with BROKER_AUTH=off, and refuses an unknown mode', () => {
    expect(authConfigFromEnv({ BROKER_AUTH: 'off' })).toBe(false);
    expect(authConfigFromEnv({ BROKER_AUTH: '0' })).toBe(false);
    expect(() => authConfigFromEnv({ BROKER_AUTH: 'maybe' })).toThrow(/BROKER_AUTH must be on or off/);
  });

  it('reads the token file and inline tokens, merged, with defaults filled in', () => {
    const files: Record<string, string> = {
      '/etc/agentbus/tokens.json': JSON.stringify({ tokens: [entry], swarms: { s: { requireSignatures: true } }, defaultSwarm: 'legacy' }),
    };
    const c = authConfigFromEnv(
      { BROKER_TOKENS_FILE: '/etc/agentbus/tokens.json', BROKER_TOKENS: JSON.stringify([{ ...entry, agent: 'b' }]), BROKER_REQUIRE_SIGNATURES: 'x, y' },
      (f) => files[f]!,
    );
    expect(c).not.toBe(false);
    if (c === false) return;
    expect(c.tokens.map((t) => [t.agent, t.topics, t.admin, t.revoked])).toEqual([['a', [], false, false], ['b', [], false, false]]);
    expect(c.swarms).toEqual({ s: { requireSignatures: true }, x: { requireSignatures: true }, y: { requireSignatures: true } });
    // The last source's default swarm wins.
    expect(c.defaultSwarm).toBe('default');
  });

  it('says which source is wrong, and where', () => {
    expect(() => authConfigFromEnv({})).toThrow(/no broker tokens: set BROKER_TOKENS_FILE/);
    expect(() => authConfigFromEnv({ BROKER_TOKENS: '{"tokens": []}' })).toThrow(/lists no tokens/);
    expect(() => authConfigFromEnv({ BROKER_TOKENS: 'nope' })).toThrow(/BROKER_TOKENS is not JSON/);
    expect(() => authConfigFromEnv({ BROKER_TOKENS_FILE: '/missing.json' }, () => {
      throw new Error('ENOENT');
    })).toThrow(/cannot read BROKER_TOKENS_FILE \/missing.json: ENOENT/);
    expect(() => authConfigFromEnv({ BROKER_TOKENS: JSON.stringify([{ ...entry, token: 'short' }]) })).toThrow(/invalid BROKER_TOKENS: tokens.0.token: must be at least 16 characters/);
    expect(() => authConfigFromEnv({ BROKER_TOKENS: JSON.stringify([{ agent: 'a', swarms: ['s'] }]) })).toThrow(/tokens.0.sha256: give exactly one of sha256/);
    expect(() => authConfigFromEnv({ BROKER_TOKENS: JSON.stringify([entry]), BROKER_REQUIRE_SIGNATURES: 'bad id' })).toThrow(/invalid swarm id "bad id"/);
    expect(() => parseAuthConfig({ tokens: [{ ...entry, topics: ['a b'] }] })).toThrow(/invalid auth config: tokens.0.topics.0: must be a name/);
  });
});
