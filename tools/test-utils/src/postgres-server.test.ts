import { existsSync } from 'node:fs';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startPostgres } from './postgres-server';
import type { PostgresServer } from './types';

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
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(() => server.stop());
  afterEach(() => vi.unstubAllEnvs());

  it('starts a real PostgreSQL with the agentbus_test database', async () => {
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
