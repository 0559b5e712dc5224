import { describe, expect, it } from 'vitest';
import { relayEnv } from './relay-env';

describe('relayEnv', () => {
  it('reads DATABASE_URL and the BRIDGE_* settings; empty means unset', () => {
    expect(
      relayEnv({
        DATABASE_URL: 'postgres://u@h:5432/db',
        BRIDGE_BATCH_SIZE: '200',
        BRIDGE_POLL_INTERVAL_MS: '250',
        BRIDGE_DEDUPE_WINDOW_MS: '900000',
        BRIDGE_PUBLISH_TIMEOUT_MS: '5000',
        BRIDGE_LEASE_MS: '20000',
        BRIDGE_PUBSUB: 'true',
        BRIDGE_AGENT_ID: 'bridge-1',
        BRIDGE_MIGRATE: '1',
      }),
    ).toEqual({
      databaseUrl: 'postgres://u@h:5432/db',
      options: { batchSize: 200, pollIntervalMs: 250, dedupeWindowMs: 900_000, publishTimeoutMs: 5000, leaseMs: 20_000, pubsub: true, agentId: 'bridge-1' },
      migrate: true,
    });
    expect(relayEnv({ DATABASE_URL: 'postgresql://h/db', BRIDGE_BATCH_SIZE: '', BRIDGE_PUBSUB: 'no' })).toEqual({
      databaseUrl: 'postgresql://h/db',
      options: { pubsub: false },
      migrate: false,
    });
  });

  it('names the variable that is wrong', () => {
    expect(() => relayEnv({})).toThrow(/DATABASE_URL is not set/);
    expect(() => relayEnv({ DATABASE_URL: 'mysql://x' })).toThrow(/postgres:\/\//);
    expect(() => relayEnv({ DATABASE_URL: 'postgres://h/db', BRIDGE_BATCH_SIZE: 'many' })).toThrow(/^BRIDGE_BATCH_SIZE: /);
    expect(() => relayEnv({ DATABASE_URL: 'postgres://h/db', BRIDGE_PUBSUB: 'maybe' })).toThrow(/BRIDGE_PUBSUB/);
  });
});
