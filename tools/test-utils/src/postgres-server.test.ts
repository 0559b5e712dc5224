import { existsSync } from 'node:fs';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { BACKEND_ENV } from './internal/backend-plan';
import { detectDocker } from './internal/docker-probe';
import { startPostgres } from './postgres-server';
import type { PostgresServer } from './types';

// Probed while the file is collected, so that it registers either the Docker test or the test
// that Docker is not there: nothing is ever skipped (CI refuses skips, .ci/allowed-skips.txt).
const dockerAnswers = await detectDocker();

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('startPostgres', () => {
  // The binary's: the tests below are about it, whatever this machine would pick by default.
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres({ backend: 'binary' });
  });
  afterAll(() => server.stop());
  afterEach(() => vi.unstubAllEnvs());

  // Both choose by themselves: AGENTBUS_TEST_BACKEND, which would force a backend, is cleared.
  if (dockerAnswers) {
    it(
      'with a Docker engine answering, in a container: the agentbus_test database and the settings asked for, kill() takes it down, stop() once',
      async () => {
        vi.stubEnv(BACKEND_ENV, '');
        const container = await startPostgres({ settings: { synchronous_commit: 'off' } });
        try {
          expect(container).toMatchObject({ kind: 'testcontainers', database: 'agentbus_test', user: 'postgres', pid: undefined, dataDir: undefined });
          expect(await query<{ db: string; usr: string }>(container.url, 'SELECT current_database() AS db, current_user AS usr')).toEqual([
            { db: 'agentbus_test', usr: 'postgres' },
          ]);
          expect(await query(container.url, "SELECT setting FROM pg_settings WHERE name = 'synchronous_commit'")).toEqual([{ setting: 'off' }]);
          await container.kill();
          await expect(query(container.url, 'SELECT 1')).rejects.toThrow();
        } finally {
          await container.stop();
          await container.stop();
        }
      },
      // Pulling the image on a cold machine takes most of it.
      300_000,
    );
  } else {
    it('with no Docker engine answering: the binary is picked, and a container is refused saying why', async () => {
      vi.stubEnv(BACKEND_ENV, '');
      const chosen = await startPostgres({ database: 'chosen' });
      try {
        expect(chosen.kind).toBe('binary');
      } finally {
        await chosen.stop();
      }
      await expect(startPostgres({ backend: 'testcontainers' })).rejects.toThrow(
        'AGENTBUS_TEST_BACKEND=testcontainers, but no Docker engine answers: start Docker or unset AGENTBUS_TEST_BACKEND',
      );
    });
  }

  it('from the binary: a real PostgreSQL with the agentbus_test database', async () => {
    expect(server).toMatchObject({ kind: 'binary', host: '127.0.0.1', database: 'agentbus_test', user: 'postgres' });
    expect(server.url).toBe(`postgres://postgres@127.0.0.1:${server.port}/agentbus_test`);
    const rows = await query<{ one: number; db: string }>(server.url, 'SELECT 1 AS one, current_database() AS db');
    expect(rows).toEqual([{ one: 1, db: 'agentbus_test' }]);
  });

  it('uses DATABASE_URL as an external server it does not own', async () => {
    vi.stubEnv('DATABASE_URL', server.url);
    const external = await startPostgres({ backend: 'external' });
    expect(external).toMatchObject({ kind: 'external', port: server.port, database: 'agentbus_test', user: 'postgres', pid: undefined });
    await expect(external.kill()).rejects.toThrow(/DATABASE_URL/);
    await external.stop();
    vi.stubEnv('DATABASE_URL', 'postgres://u@db.example/x');
    expect((await startPostgres({ backend: 'external' })).port).toBe(5432);
  });

  it('runs with fsync and synchronous_commit off unless settings say otherwise', async () => {
    const show = async (url: string) =>
      query<{ name: string; setting: string }>(url, "SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes') ORDER BY name");
    expect(await show(server.url)).toEqual([
      { name: 'fsync', setting: 'off' },
      { name: 'full_page_writes', setting: 'off' },
      { name: 'synchronous_commit', setting: 'off' },
    ]);
    const durable = await startPostgres({ database: 'durable', settings: { fsync: 'on', synchronous_commit: 'on', full_page_writes: 'on' } });
    try {
      expect((await show(durable.url)).map((r) => r.setting)).toEqual(['on', 'on', 'on']);
    } finally {
      await durable.stop();
    }
  });

  it('refuses database names it would have to quote', async () => {
    await expect(startPostgres({ database: 'drop table' })).rejects.toThrow(/invalid database name/);
  });

  it('kill() takes the postmaster down hard, stop() removes the data dir', async () => {
    const victim = await startPostgres({ database: 'victim' });
    expect(await query<{ db: string }>(victim.url, 'SELECT current_database() AS db')).toEqual([{ db: 'victim' }]);
    expect(victim.pid).toBeGreaterThan(0);
    await victim.kill();
    expect(victim.pid).toBeUndefined();
    await expect(query(victim.url, 'SELECT 1')).rejects.toThrow();
    await victim.stop();
    await victim.stop();
    expect(existsSync(victim.dataDir!)).toBe(false);
  });
});
