import { describe, expect, it } from 'vitest';
import { startPostgresContainer, type PostgresContainerSpec } from './postgres-container';
import { startRedisContainer, type StartedContainer } from './redis-container';

// The adapters around testcontainers, on stand-in containers: what they start and how they map a
// container onto a RedisServer / PostgresServer, on any machine. The real containers run in
// redis-server.test.ts and postgres-server.test.ts wherever a Docker engine answers.

interface FakeContainer extends StartedContainer {
  calls: string[];
  /** The host port Docker maps the server to; a restart may move it. */
  mappedPort: number;
}

function fakeContainer(): FakeContainer {
  const fake: FakeContainer = {
    calls: [],
    mappedPort: 32768,
    getHost: () => 'localhost',
    getPort: () => fake.mappedPort,
    getId: () => 'c0ffee',
    stop: async () => void fake.calls.push('stop'),
    restart: async (options) => {
      fake.calls.push(`restart ${options.timeout}`);
      fake.mappedPort += 1;
    },
  };
  return fake;
}

function recordSignals(): { signals: string[]; signal: (id: string, signal: NodeJS.Signals) => Promise<void> } {
  const signals: string[] = [];
  return { signals, signal: async (id, signal) => void signals.push(`${id} ${signal}`) };
}

describe('startRedisContainer', () => {
  it('starts redis:7-alpine with the options as redis-server arguments, allowing 120 s to pull and start', async () => {
    const started: unknown[] = [];
    await startRedisContainer({ appendonly: true, appendfsync: 'always' }, async (...args) => {
      started.push(args);
      return fakeContainer();
    });
    await startRedisContainer({ image: 'redis:7.2', startupTimeoutMs: 5_000, extraArgs: ['--hz', '20'] }, async (...args) => {
      started.push(args);
      return fakeContainer();
    });
    expect(started).toEqual([
      ['redis:7-alpine', ['--save', '', '--appendonly', 'yes', '--appendfsync', 'always'], 120_000],
      ['redis:7.2', ['--save', '', '--appendonly', 'no', '--hz', '20'], 5_000],
    ]);
  });

  it('reads the mapped address live, signals the container, restarts it with a grace period, stops it once', async () => {
    const container = fakeContainer();
    const { signals, signal } = recordSignals();
    const server = await startRedisContainer({}, async () => container, signal);
    expect(server).toMatchObject({ kind: 'testcontainers', pid: undefined, dataDir: undefined, host: 'localhost', port: 32768 });
    expect(server.url).toBe('redis://localhost:32768');
    await server.kill();
    await server.kill('SIGSTOP');
    expect(signals).toEqual(['c0ffee SIGKILL', 'c0ffee SIGSTOP']);
    await server.restart();
    expect(server.port).toBe(32769);
    expect(server.url).toBe('redis://localhost:32769');
    await server.stop();
    await server.stop();
    expect(container.calls).toEqual(['restart 10000', 'stop']);
  });
});

describe('startPostgresContainer', () => {
  it('starts postgres:16-alpine with the database, the postgres user and the settings, allowing 120 s to pull and start', async () => {
    const specs: PostgresContainerSpec[] = [];
    const start = async (spec: PostgresContainerSpec) => {
      specs.push(spec);
      return { ...fakeContainer(), getConnectionUri: () => `postgres://${spec.user}:${spec.password}@localhost:32768/${spec.database}` };
    };
    const server = await startPostgresContainer({}, start);
    await startPostgresContainer({ database: 'other', image: 'postgres:17', startupTimeoutMs: 5_000, settings: { fsync: 'off' } }, start);
    expect(specs).toEqual([
      { image: 'postgres:16-alpine', database: 'agentbus_test', user: 'postgres', password: 'postgres', startupTimeoutMs: 120_000, settings: {} },
      { image: 'postgres:17', database: 'other', user: 'postgres', password: 'postgres', startupTimeoutMs: 5_000, settings: { fsync: 'off' } },
    ]);
    expect(server).toMatchObject({
      kind: 'testcontainers',
      url: 'postgres://postgres:postgres@localhost:32768/agentbus_test',
      host: 'localhost',
      port: 32768,
      database: 'agentbus_test',
      user: 'postgres',
      pid: undefined,
      dataDir: undefined,
    });
  });

  it('signals the container and stops it once', async () => {
    const container = fakeContainer();
    const { signals, signal } = recordSignals();
    const server = await startPostgresContainer({}, async () => ({ ...container, getConnectionUri: () => 'postgres://x' }), signal);
    await server.kill();
    await server.kill('SIGTERM');
    expect(signals).toEqual(['c0ffee SIGKILL', 'c0ffee SIGTERM']);
    await server.stop();
    await server.stop();
    expect(container.calls).toEqual(['stop']);
  });
});
