import type { Pool } from 'pg';
import { recordL1, recordL1Many, type L1EventInput } from '@agentbus/bridge';
import { nowMs } from '../stats';
import type { CommitTimes } from './latency';

/** What one phase of writers did. */
export interface WritePhaseResult {
  /** When the phase began (slot 0 due), ms since epoch. */
  startedAt: number;
  /** Rows committed (L1 events). */
  committed: number;
  transactions: number;
  /** Transaction durations (BEGIN .. COMMIT acknowledged), ms. */
  commitMs: number[];
  /** COMMIT round trips (sent .. acknowledged), ms: the gap between the two latency bounds. */
  commitRoundTripMs: number[];
  /** Wall time of the last commit acknowledgement. */
  lastCommitAt: number;
  /** Writer errors (a writer that fails stops; the bench reports it). */
  errors: string[];
}

export interface WritePhaseOptions {
  pool: Pool;
  writers: number;
  modules: readonly string[];
  /** Rows (events) per second over all writers; 0 = as fast as they go. */
  rate: number;
  /** Events per transaction (each with its business row). */
  rowsPerTx: number;
  seconds: number;
  /** Called with each event's id and when its COMMIT was sent and acknowledged (ms since epoch, sub-ms). */
  onCommit: (eventId: string, at: CommitTimes) => void;
  /** Payload padding in bytes, so events look like real memory rows. */
  padBytes: number;
  seqStart: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `writers` connections each running what an agent's memory write does: BEGIN; INSERT the
 * business row(s); recordL1 (or recordL1Many) in the same transaction; COMMIT. Paced by one global
 * schedule (transaction i is due at start + i * rowsPerTx / rate) and stopped at the phase end even
 * when behind, so a phase never runs over.
 */
export async function runWriters(o: WritePhaseOptions): Promise<WritePhaseResult> {
  const start = nowMs();
  const end = start + o.seconds * 1000;
  const pad = 'x'.repeat(o.padBytes);
  const result: WritePhaseResult = { startedAt: start, committed: 0, transactions: 0, commitMs: [], commitRoundTripMs: [], lastCommitAt: Number.NaN, errors: [] };
  let next = 0;

  async function writer(): Promise<void> {
    const client = await o.pool.connect();
    try {
      for (;;) {
        const slot = next++;
        if (o.rate > 0) {
          const due = start + (slot * o.rowsPerTx * 1000) / o.rate;
          if (due >= end) return;
          const wait = due - nowMs();
          if (wait > 1) await sleep(wait);
        }
        if (nowMs() >= end) return;
        const module = o.modules[slot % o.modules.length]!;
        const t = nowMs();
        await client.query('BEGIN');
        const { rows } = await client.query<{ id: string }>(
          'INSERT INTO bench_memory_log (module, body) SELECT $1, $2 FROM generate_series(1, $3) RETURNING id::text',
          [module, pad, o.rowsPerTx],
        );
        const events: L1EventInput[] = rows.map((r, k) => ({
          base_log_id: r.id,
          source_module: module,
          timestamp: Date.now(),
          trace_id: null,
          request_id: null,
          event_type: 'event_log',
          data: { seq: o.seqStart + slot * o.rowsPerTx + k, body: pad },
        }));
        const recorded = events.length === 1 ? [await recordL1(client, events[0]!)] : await recordL1Many(client, events);
        const sentAt = nowMs();
        await client.query('COMMIT');
        const committedAt = nowMs();
        result.commitMs.push(committedAt - t);
        result.commitRoundTripMs.push(committedAt - sentAt);
        result.transactions++;
        result.committed += recorded.length;
        result.lastCommitAt = committedAt;
        const times = { sentAt, ackAt: committedAt };
        for (const r of recorded) o.onCommit(r.eventId, times);
      }
    } catch (e) {
      result.errors.push((e as Error).message);
      await client.query('ROLLBACK').catch(() => undefined);
    } finally {
      client.release();
    }
  }

  await Promise.all(Array.from({ length: o.writers }, () => writer()));
  return result;
}
