import type { AgentbusErrorCode } from '@agentbus/schema';

/** A record a listing could not read; the listing goes on without it. */
export interface InvalidRecord {
  key: string;
  /** `INVALID_MESSAGE` (a bad field) or `WRONG_TYPE`. */
  code: AgentbusErrorCode;
  /** The first bad field, when there is one. */
  field?: string;
  message: string;
}

/** A page of records: what could be read, and what could not (named by key and field). */
export interface SwarmList<T> {
  items: T[];
  invalid: InvalidRecord[];
}
