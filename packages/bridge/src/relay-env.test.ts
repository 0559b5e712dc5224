import { describe, expect, it } from 'vitest';
import { relayEnv } from './relay-env';

describe('relayEnv', () => {
  it('reads DATABASE_URL and the BRIDGE_* settings; empty means unset', () => {
    expect(
      relayEnv({
        DATABASE_URL: 'postgres://u@h:5432/db',
        BRIDGE_BATCH_SIZE: '200',
        BRIDGE_MAX_MODULES_PER_BATCH: '16',
        BRIDGE_POLL_INTERVAL_MS: '250',
        BRIDGE_DEDUPE_WINDOW_MS: '900000',
        BRIDGE_PUBLISH_TIMEOUT_MS: '5000',
        BRIDGE_LEASE_MS: '20000',
        BRIDGE_PUBSUB: 'true',
        BRIDGE_AGENT_ID: 'bridge-1',
        BRIDGE_MIGRATE: '1',
        BRIDGE_METRICS_PORT: '9465',
        BRIDGE_METRICS_HOST: '0.0.0.0',
      }),
    ).toEqual({
      databaseUrl: 'postgres://u@h:5432/db',
      options: { batchSize: 200, maxModulesPerBatch: 16, pollIntervalMs: 250, dedupeWindowMs: 900_000, publishTimeoutMs: 5000, leaseMs: 20_000, pubsub: true, agentId: 'bridge-1' },
      migrate: true,
      metrics: { port: 9465, host: '0.0.0.0' },
    });
    expect(relayEnv({ DATABASE_URL: 'postgresql://h/db', BRIDGE_BATCH_SIZE: '', BRIDGE_PUBSUB: 'no', BRIDGE_METRICS_PORT: '' })).toEqual({
      databaseUrl: 'postgresql://h/db',
      options: { pubsub: false },
      migrate: false,
      metrics: { port: 0, host: '127.0.0.1' },
    });
  });

  it('BRIDGE_METRICS_PORT: a port 0-65535, 0 or unset = no metrics server, on 127.0.0.1 unless BRIDGE_METRICS_HOST', () => {
    const metricsOf = (port: string) => relayEnv({ DATABASE_URL: 'postgres://h/db', BRIDGE_METRICS_PORT: port }).metrics;
    expect(metricsOf('0')).toEqual({ port: 0, host: '127.0.0.1' });
    expect(metricsOf('9464')).toEqual({ port: 9464, host: '127.0.0.1' });
    expect(metricsOf('65535').port).toBe(65_535);
    expect(relayEnv({ DATABASE_URL: 'postgres://h/db' }).metrics).toEqual({ port: 0, host: '127.0.0.1' });
    for (const bad of ['abc', '-1', '1.5', '65536', '9464x', ' ', '1e3']) {
      expect(() => metricsOf(bad), bad).toThrow(/^BRIDGE_METRICS_PORT must be a port number, 0-65535/);
    }
  });

  it('names the variable that is wrong', () => {
    expect(() => relayEnv({})).toThrow(/DATABASE_URL is not set/);
    expect(() => relayEnv({ DATABASE_URL: 'mysql://x' })).toThrow(/postgres:\/\//);
    expect(() => relayEnv({ DATABASE_URL: 'postgres://h/db', BRIDGE_BATCH_SIZE: 'many' })).toThrow(/^BRIDGE_BATCH_SIZE: /);
    expect(() => relayEnv({ DATABASE_URL: 'postgres://h/db', BRIDGE_MAX_MODULES_PER_BATCH: '0' })).toThrow(/^BRIDGE_MAX_MODULES_PER_BATCH: /);
    expect(() => relayEnv({ DATABASE_URL: 'postgres://h/db', BRIDGE_PUBSUB: 'maybe' })).toThrow(/BRIDGE_PUBSUB/);
  });
});
