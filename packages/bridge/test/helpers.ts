// Shared by the integration tests: a database of their own per test file, stream readers, events.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { decodeEnvelope, l1Topic, type Envelope, type L1Event } from '@agentbus/schema';
import type { Transport } from '@agentbus/transport';
import { migrate, type L1EventInput } from '../src/index';

export interface TestDatabase {
  url: string;
  pool: pg.Pool;
  close(): Promise<void>;
}

/**
 * A new, migrated database on the run's PostgreSQL: the outbox is one table per database, and
 * relays of different test files must not take each other's rows.
 */
export async function freshDatabase(name: string, migrated = true): Promise<TestDatabase> {
  const admin = inject('databaseUrl');
  if (!admin) throw new Error('no databaseUrl: test/global-setup.ts starts PostgreSQL');
  const db = `bridge_${name.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${db}`);
  } finally {
    await c.end();
  }
  const u = new URL(admin);
  u.pathname = `/${db}`;
  const url = u.toString();
  const pool = new pg.Pool({ connectionString: url, max: 12 });
  pool.on('error', () => undefined);
  if (migrated) await migrate(pool);
  return { url, pool, close: () => pool.end() };
}

/** Every envelope in a module's stream, oldest first. */
export async function streamOf(transport: Transport, module: string): Promise<Envelope<L1Event>[]> {
  const key = transport.keys.lane(l1Topic(module), 'normal');
  const entries = await transport.redis!.xrange(key, '-', '+');
  return entries.map(([, fields]) => {
    const decoded = decodeEnvelope(fields[fields.indexOf('env') + 1]!);
    if (!decoded.ok) throw decoded.error;
    return decoded.value as Envelope<L1Event>;
  });
}

/** An L1 event of `module` with `data.seq = seq`. */
export function l1Event(module: string, seq: number, data: Record<string, unknown> = {}): L1EventInput {
  return {
    base_log_id: seq,
    source_module: module,
    timestamp: Date.now(),
    trace_id: null,
    request_id: null,
    event_type: 'event_log',
    data: { seq, ...data },
  };
}

export const seqOf = (env: Envelope<L1Event>): number => env.payload.data.seq as number;

/** Rows still in the outbox. */
export async function outboxCount(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM agentbus_bridge.outbox');
  return rows[0]!.n;
}
