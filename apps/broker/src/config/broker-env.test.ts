import { describe, expect, it } from 'vitest';
import { brokerServerConfig, DEFAULT_BROKER_SERVER_CONFIG } from './broker-env';

describe('brokerServerConfig', () => {
  it('takes flags over environment over defaults', () => {
    expect(brokerServerConfig([], {})).toEqual({ ...DEFAULT_BROKER_SERVER_CONFIG, options: {} });
    expect(
      brokerServerConfig(['--port', '9000'], {
        BROKER_PORT: '1',
        BROKER_HOST: '0.0.0.0',
        BROKER_BODY_LIMIT: '2048',
        BROKER_RATE_CAPACITY: '5',
        BROKER_RATE_REFILL: '2.5',
        BROKER_TOPICS: 'orders, tasks',
        BROKER_AUTH: '',
      }),
    ).toEqual({ port: 9000, host: '0.0.0.0', options: { bodyLimitBytes: 2048, rateLimit: { capacity: 5, refillPerSecond: 2.5 }, topics: ['orders', 'tasks'] } });
    expect(brokerServerConfig([], { BROKER_PORT: '7000', BROKER_RATE_CAPACITY: '0' })).toEqual({ port: 7000, host: '127.0.0.1', options: { rateLimit: false } });
    expect(brokerServerConfig([], { BROKER_RATE_REFILL: '3' })).toMatchObject({ options: { rateLimit: { refillPerSecond: 3 } } });
    expect(brokerServerConfig([], { BROKER_MAX_JSON_DEPTH: '16', BROKER_BACKEND_TIMEOUT_MS: '750' })).toMatchObject({ options: { maxJsonDepth: 16, backendTimeoutMs: 750 } });
    expect(brokerServerConfig(['--help'], {})).toBe('help');
  });

  it('names the flag or variable that is wrong', () => {
    expect(() => brokerServerConfig(['--port', 'x'], {})).toThrow(/--port must be 0-65535/);
    expect(() => brokerServerConfig(['--nope'], {})).toThrow(/see --help/);
    expect(() => brokerServerConfig([], { BROKER_BODY_LIMIT: '12' })).toThrow(/^BROKER_BODY_LIMIT/);
    expect(() => brokerServerConfig([], { BROKER_TOPICS: 'ok,not ok' })).toThrow(/^BROKER_TOPICS/);
    expect(() => brokerServerConfig([], { BROKER_MAX_JSON_DEPTH: '100000' })).toThrow(/^BROKER_MAX_JSON_DEPTH/);
  });
});
