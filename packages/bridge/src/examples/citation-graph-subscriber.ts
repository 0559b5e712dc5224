import type { Pool } from 'pg';
import { z } from 'zod';
import { BaseSubscriber, type BaseSubscriberOptions, type L2Message, type MessageOutcome } from '../base-subscriber';

/** The example's own table: one row per (finding, cited URI). */
export const CITATION_EDGES_TABLE = 'agentbus_l2.citation_edges';

export interface CitationGraphOptions extends Omit<BaseSubscriberOptions, 'modules' | 'group'> {
  /** Where the edge table lives (create it with `createCitationTable`). */
  pool: Pool;
  /** Modules whose events may carry findings. Default `['findings']`. */
  modules?: readonly string[];
  /** Default `citation-graph`. */
  group?: string;
}

/** One edge: a finding (and the worker who made it) citing a URI, possibly another finding. */
export interface CitationEdge {
  findingId: string;
  cited: string;
  workerId: string | null;
  sourceModule: string;
  baseLogId: string;
}

// An L1 event's data is free-form: a finding is either the data itself or under `finding`.
const findingLikeSchema = z.looseObject({
  id: z.string().min(1).max(512),
  citations: z.array(z.string().min(1).max(4096)).max(10_000),
  worker_id: z.string().min(1).max(256).optional(),
});

const edgeRowSchema = z.object({
  finding_id: z.string(),
  cited: z.string(),
  worker_id: z.string().nullable(),
  source_module: z.string(),
  base_log_id: z.string(),
});

/** The edges an L1 event implies: none unless its data is (or holds) a finding with citations. */
export function citationEdgesOf(message: Pick<L2Message, 'event'>): CitationEdge[] {
  const data = message.event.data;
  const parsed = findingLikeSchema.safeParse(data.finding ?? data);
  if (!parsed.success) return [];
  const f = parsed.data;
  return [...new Set(f.citations)].map((cited) => ({
    findingId: f.id,
    cited,
    workerId: f.worker_id ?? null,
    sourceModule: message.event.source_module,
    baseLogId: message.event.base_log_id,
  }));
}

/** Creates the example's schema and table (idempotent). */
export async function createCitationTable(pool: Pool): Promise<void> {
  await pool.query(`CREATE SCHEMA IF NOT EXISTS agentbus_l2;
CREATE TABLE IF NOT EXISTS ${CITATION_EDGES_TABLE} (
  finding_id    text NOT NULL,
  cited         text NOT NULL,
  worker_id     text,
  source_module text NOT NULL,
  base_log_id   text NOT NULL,
  first_seen    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (finding_id, cited)
);
CREATE INDEX IF NOT EXISTS citation_edges_cited ON ${CITATION_EDGES_TABLE} (cited);`);
}

/**
 * An example L2 consumer: keeps a who-cited-what edge table from the findings recorded in L1.
 * A whole batch is one INSERT; ON CONFLICT DO NOTHING makes a redelivered event harmless, which
 * is what at-least-once delivery asks of every consumer.
 */
export class CitationGraphSubscriber extends BaseSubscriber {
  private readonly pool: Pool;

  constructor(options: CitationGraphOptions) {
    super({ ...options, modules: options.modules ?? ['findings'], group: options.group ?? 'citation-graph' });
    this.pool = options.pool;
  }

  protected override async process(message: L2Message): Promise<boolean> {
    const [outcome] = await this.processBatch([message]);
    return outcome === true;
  }

  protected override async processBatch(messages: readonly L2Message[]): Promise<readonly MessageOutcome[]> {
    const edges = messages.flatMap((m) => citationEdgesOf(m));
    if (edges.length > 0) {
      await this.pool.query(
        `INSERT INTO ${CITATION_EDGES_TABLE} (finding_id, cited, worker_id, source_module, base_log_id)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
         ON CONFLICT (finding_id, cited) DO NOTHING`,
        [
          edges.map((e) => e.findingId),
          edges.map((e) => e.cited),
          edges.map((e) => e.workerId),
          edges.map((e) => e.sourceModule),
          edges.map((e) => e.baseLogId),
        ],
      );
    }
    // A failed INSERT throws: the whole batch is retried, and the conflict rule dedupes it.
    return messages.map(() => true);
  }

  /** The edges pointing at `cited` (who cited it). */
  async citedBy(cited: string): Promise<CitationEdge[]> {
    const { rows } = await this.pool.query(
      `SELECT finding_id, cited, worker_id, source_module, base_log_id FROM ${CITATION_EDGES_TABLE} WHERE cited = $1 ORDER BY finding_id`,
      [cited],
    );
    return rows.map((r) => {
      const e = edgeRowSchema.parse(r);
      return { findingId: e.finding_id, cited: e.cited, workerId: e.worker_id, sourceModule: e.source_module, baseLogId: e.base_log_id };
    });
  }
}
