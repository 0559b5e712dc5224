import { ERROR_CODES, isAgentbusError, type Envelope, type L1Event } from '@agentbus/schema';
import type { PublishOptions, PublishResult, Transport } from '@agentbus/transport';
import { l1Envelope, type OutboxRow } from '../l1-envelope';
import type { RejectedRow } from './outbox-row';

export interface PublishedRow {
  row: OutboxRow;
  envelope: Envelope<L1Event>;
  streamId: string;
  duplicate: boolean;
  /** When the XADD's reply came, ms since epoch (sub-ms precision). */
  publishedAt: number;
  /** Insert -> XADD reply, ms. */
  latencyMs: number;
}

export interface PublishRowsOptions {
  from: string;
  dedupeWindowMs: number;
  /** Wall clock with sub-ms precision (the rows' insert times are wall clock too). */
  now: () => number;
}

/** Errors about one message (too large, not a valid envelope): no retry can fix them. */
function isRowError(error: unknown): boolean {
  return isAgentbusError(error) && (error.code === ERROR_CODES.PAYLOAD_TOO_LARGE || error.code === ERROR_CODES.INVALID_MESSAGE);
}

async function publishTopic(
  transport: Transport,
  topic: string,
  rows: readonly OutboxRow[],
  o: PublishRowsOptions,
  published: PublishedRow[],
  refused: RejectedRow[],
): Promise<void> {
  const envs = rows.map((r) => l1Envelope(r, o.from));
  // One module is one topic: its partition key keeps it on one partition of a partitioned topic.
  const opts: PublishOptions = { partitionKey: rows[0]!.sourceModule, dedupeWindowMs: o.dedupeWindowMs };
  const settle = (i: number, result: PublishResult, at: number): void => {
    const row = rows[i]!;
    published.push({
      row,
      envelope: envs[i]!,
      streamId: result.streamId,
      duplicate: result.duplicate,
      publishedAt: at,
      latencyMs: Math.max(0, at - row.createdMs),
    });
  };
  try {
    // Pipelined in order on one connection, so the stream receives the module's rows in order.
    const results = await transport.publishBatch(topic, envs, opts);
    const at = o.now();
    results.forEach((r, i) => settle(i, r, at));
    return;
  } catch (error) {
    if (!isRowError(error)) throw error;
  }
  // Some row is refused as it is (too large, ...): find it one by one, in order, and set it aside
  // so it does not hold up the rows behind it. The ones already written are deduped.
  for (let i = 0; i < rows.length; i++) {
    try {
      const result = await transport.publish(topic, envs[i]!, opts);
      settle(i, result, o.now());
    } catch (error) {
      if (!isRowError(error)) throw error;
      refused.push({ id: rows[i]!.id, error: `refused by the bus: ${(error as Error).message}` });
    }
  }
}

/**
 * Publishes claimed rows, grouped by topic (in outbox order within each), the topics in parallel.
 * Throws on anything a retry may fix (Redis down, back-pressure); returns the rows the bus refuses.
 */
export async function publishRows(
  transport: Transport,
  rows: readonly OutboxRow[],
  o: PublishRowsOptions,
): Promise<{ published: PublishedRow[]; refused: RejectedRow[] }> {
  const byTopic = new Map<string, OutboxRow[]>();
  for (const row of rows) {
    const list = byTopic.get(row.topic);
    if (list) list.push(row);
    else byTopic.set(row.topic, [row]);
  }
  const published: PublishedRow[] = [];
  const refused: RejectedRow[] = [];
  await Promise.all([...byTopic].map(([topic, list]) => publishTopic(transport, topic, list, o, published, refused)));
  return { published, refused };
}
