import type pg from 'pg';
import { startPostgres, type PostgresServer } from '@agentbus/test-utils';
import { onCleanup } from '../lifecycle';

/**
 * The server settings the bench asks for. `production` is PostgreSQL's own defaults, what a
 * deployment runs: every COMMIT waits for its WAL flush to disk. `fast` is what the test
 * harness runs by default (durability off), kept behind `--fast-pg` to compare.
 */
export const PG_PROFILES = {
  production: { fsync: 'on', synchronous_commit: 'on', full_page_writes: 'on' },
  fast: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' },
} as const satisfies Record<string, Readonly<Record<string, string>>>;

export type PgProfile = keyof typeof PG_PROFILES;

/** The settings read back from the server and reported with every result. */
export const REPORTED_SETTINGS = ['server_version', 'fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method', 'commit_delay', 'shared_buffers'] as const;

/** PostgreSQL from the test harness, with the profile's settings (an external DATABASE_URL server keeps its own). */
export async function startBenchPostgres(profile: PgProfile): Promise<PostgresServer> {
  const server = await startPostgres({ settings: PG_PROFILES[profile] });
  onCleanup(`postgres :${server.port}`, () => server.stop(), () => {
    if (server.pid) process.kill(server.pid, 'SIGKILL');
  });
  return server;
}

/** The reported settings as the server has them, and whether they are the profile's. */
export async function readSettings(pool: pg.Pool, profile: PgProfile): Promise<{ settings: Record<string, string>; asked: Record<string, string>; applied: boolean }> {
  const { rows } = await pool.query<{ name: string; setting: string }>('SELECT name, setting FROM pg_settings WHERE name = ANY($1)', [[...REPORTED_SETTINGS]]);
  const settings = Object.fromEntries(rows.map((r) => [r.name, r.setting]));
  const asked: Record<string, string> = { ...PG_PROFILES[profile] };
  return { settings, asked, applied: Object.entries(asked).every(([k, v]) => settings[k] === v) };
}
