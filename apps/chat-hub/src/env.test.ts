import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chatHubOptionsFromEnv } from './env';

const token = { token: 'x'.repeat(16), id: 'ada', channels: ['general'] };

describe('chatHubOptionsFromEnv', () => {
  it('reads nothing from an empty environment', () => {
    expect(chatHubOptionsFromEnv({})).toEqual({});
  });

  it('reads every variable', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'chat-env-'));
    const file = path.join(dir, 'tokens.json');
    writeFileSync(file, JSON.stringify({ tokens: [{ ...token, id: 'bob', token: 'y'.repeat(16) }], channels: [{ id: 'ops' }] }));
    const list = path.join(dir, 'list.json');
    writeFileSync(list, JSON.stringify([{ ...token, id: 'eve', token: 'z'.repeat(16) }]));
    const o = chatHubOptionsFromEnv({
      CHAT_HOST: '0.0.0.0',
      CHAT_PORT: '9000',
      CHAT_PATH: '/chat',
      CHAT_HUB_ID: 'hub-1',
      CHAT_TOKENS: JSON.stringify([token]),
      CHAT_TOKENS_FILE: file,
      CHAT_CHANNELS: 'general, random',
      CHAT_RATE_LIMITS: JSON.stringify({ message: { capacity: 100 } }),
      CHAT_HEARTBEAT_MS: '5000',
      CHAT_MAX_CONNECTIONS_PER_USER: '3',
      CHAT_WEB: '0',
    });
    expect(o).toMatchObject({
      host: '0.0.0.0',
      port: 9000,
      path: '/chat',
      hubId: 'hub-1',
      heartbeatMs: 5000,
      maxConnectionsPerUser: 3,
      web: false,
      rateLimits: { message: { capacity: 100 } },
    });
    expect(o.tokens?.map((t) => t.id)).toEqual(['bob', 'ada']);
    expect(o.channels?.map((c) => c.id)).toEqual(['ops', 'general', 'random']);
    expect(chatHubOptionsFromEnv({ CHAT_TOKENS_FILE: list, CHAT_CHANNELS: '[{"id":"x","topic":"t"}]', CHAT_WEB: 'true' })).toMatchObject({
      tokens: [{ id: 'eve' }],
      channels: [{ id: 'x', topic: 't' }],
      web: true,
    });
  });

  it('names the variable that is wrong', () => {
    expect(() => chatHubOptionsFromEnv({ CHAT_PORT: 'eighty' })).toThrow(/CHAT_PORT/);
    expect(() => chatHubOptionsFromEnv({ CHAT_PORT: '70000' })).toThrow(/CHAT_PORT must be 0-65535/);
    expect(() => chatHubOptionsFromEnv({ CHAT_TOKENS: '{oops' })).toThrow(/CHAT_TOKENS is not valid JSON/);
    expect(() => chatHubOptionsFromEnv({ CHAT_TOKENS: '[{"token":"short","id":"a"}]' })).toThrow(/CHAT_TOKENS: 0\.token/);
    expect(() => chatHubOptionsFromEnv({ CHAT_TOKENS_FILE: '/no/such/file.json' })).toThrow(/CHAT_TOKENS_FILE \/no\/such\/file\.json/);
    expect(() => chatHubOptionsFromEnv({ CHAT_CHANNELS: 'ok,Not OK' })).toThrow(/CHAT_CHANNELS: "Not OK"/);
    expect(() => chatHubOptionsFromEnv({ CHAT_RATE_LIMITS: '{"flying":{}}' })).toThrow(/CHAT_RATE_LIMITS/);
    expect(() => chatHubOptionsFromEnv({ CHAT_WEB: 'maybe' })).toThrow(/CHAT_WEB/);
    expect(() => chatHubOptionsFromEnv({ CHAT_MAX_CONNECTIONS_PER_USER: '0' })).toThrow(/CHAT_MAX_CONNECTIONS_PER_USER must be 1-/);
    expect(chatHubOptionsFromEnv({ CHAT_RATE_LIMITS: '{"hello":{"capacity":3}}' })).toEqual({ rateLimits: { hello: { capacity: 3 } } });
  });
});
