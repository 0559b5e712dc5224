import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AgentbusError, ERROR_CODES } from '@agentbus/schema';
import type { Pool } from 'pg';
import { z } from 'zod';
import { BRIDGE_SCHEMA, MIGRATE_LOCK_SPACE, MIGRATIONS_TABLE } from './internal/sql';

/** One SQL file of `migrations/`, named `NNN_name.sql`. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** sha256 of the file: an applied migration that was edited afterwards is refused. */
  checksum: string;
}

export interface MigrateResult {
  /** Versions applied by this call, in order. */
  applied: number[];
  /** The schema version after the call. */
  version: number;
}

const FILE_RE = /^(\d{3,})_([a-z0-9_]+)\.sql$/;

/**
 * The migrations directory shipped with the package: `../migrations` from this module, which is
 * src/migrate.ts when run from source and dist/*.js when built.
 */
export function migrationsDir(): string {
  return fileURLToPath(new URL('../migrations/', import.meta.url));
}

/** The migrations in `dir` (default: the package's own), by version. */
export function loadMigrations(dir: string = migrationsDir()): Migration[] {
  if (!existsSync(dir)) {
    throw new AgentbusError(ERROR_CODES.NOT_FOUND, `bridge migrations not found in ${dir}: the package is incomplete (its "files" must include migrations)`);
  }
  const out: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    const m = FILE_RE.exec(file);
    if (!m) continue;
    const sql = readFileSync(`${dir}/${file}`, 'utf8');
    out.push({ version: Number(m[1]), name: file, sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  return out;
}

const appliedRowSchema = z.object({ version: z.number().int(), name: z.string(), checksum: z.string() });

/**
 * Brings the bridge's schema (`agentbus_bridge`) up to date: applies each migration not yet
 * applied, each in its own transaction. Several processes may call it at once (every relay at
 * start): a session advisory lock lets one work while the others wait and then find nothing to do.
 */
export async function migrate(pool: Pool, migrations: readonly Migration[] = loadMigrations()): Promise<MigrateResult> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('SELECT pg_advisory_lock($1, 0)', [MIGRATE_LOCK_SPACE]);
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${BRIDGE_SCHEMA}`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
        version integer PRIMARY KEY,
        name text NOT NULL,
        checksum text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now())`);
      const rows = (await client.query(`SELECT version, name, checksum FROM ${MIGRATIONS_TABLE} ORDER BY version`)).rows;
      const applied = new Map(rows.map((r) => {
        const row = appliedRowSchema.parse(r);
        return [row.version, row] as const;
      }));
      const done: number[] = [];
      for (const m of migrations) {
        const had = applied.get(m.version);
        if (had) {
          if (had.checksum !== m.checksum) {
            throw new AgentbusError(
              ERROR_CODES.CONFLICT,
              `bridge migration ${m.name} differs from the one applied as version ${m.version} (${had.name}); never edit an applied migration, add a new one`,
            );
          }
          continue;
        }
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query(`INSERT INTO ${MIGRATIONS_TABLE} (version, name, checksum) VALUES ($1, $2, $3)`, [m.version, m.name, m.checksum]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw new AgentbusError(ERROR_CODES.INTERNAL, `bridge migration ${m.name} failed: ${(error as Error).message}`, { cause: error });
        }
        done.push(m.version);
      }
      const version = Math.max(0, ...applied.keys(), ...done);
      return { applied: done, version };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, 0)', [MIGRATE_LOCK_SPACE]).catch(() => {
        broken = true;
      });
    }
  } catch (error) {
    broken = true;
    throw error;
  } finally {
    // A session that failed mid-way may hold the lock or a half transaction: never reuse it.
    client.release(broken);
  }
}
