import { describe, expect, it } from 'vitest';
import { DEFAULT_CHAT_HUB_OPTIONS, resolveChatHubOptions } from './options';

describe('resolveChatHubOptions', () => {
  it('fills the defaults and makes a hub id', () => {
    const o = resolveChatHubOptions({ port: undefined });
    expect(o).toMatchObject({ ...DEFAULT_CHAT_HUB_OPTIONS, flood: DEFAULT_CHAT_HUB_OPTIONS.flood });
    expect(o.hubId).toMatch(/^[A-Za-z0-9._-]+-\d+-[0-9a-f]{6}$/);
    expect(resolveChatHubOptions({ hubId: 'h1', flood: { capacity: 5 } })).toMatchObject({ hubId: 'h1', flood: { capacity: 5, refillPerSecond: 100 } });
  });

  it('names the option to change', () => {
    expect(() => resolveChatHubOptions({ recentLimit: 0 })).toThrow(/recentLimit must be a whole number >= 1, got 0 \(set recentLimit\)/);
    expect(() => resolveChatHubOptions({ maxConnectionsPerUser: 0 })).toThrow(/maxConnectionsPerUser must be a whole number >= 1, got 0 \(set maxConnectionsPerUser\)/);
    expect(resolveChatHubOptions({}).maxConnectionsPerUser).toBe(20);
    expect(() => resolveChatHubOptions({ port: 70_000 })).toThrow(/port must be 0-65535/);
    expect(() => resolveChatHubOptions({ maxFrameBytes: 10, maxPayloadBytes: 5 })).toThrow(/maxFrameBytes \(10\) must not exceed maxPayloadBytes/);
    expect(() => resolveChatHubOptions({ path: 'ws' })).toThrow(/path must start with \//);
    expect(() => resolveChatHubOptions({ hubId: 'a b' })).toThrow(/hubId/);
  });
});
