import type { QueryResult, QueryResultRow } from 'pg';

/**
 * What the bridge needs of a connection: pg's `Client`, `PoolClient` and `Pool` all fit. Pass the
 * client of the caller's open transaction to `recordL1`, so the event commits with the business row.
 */
export interface SqlClient {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}
