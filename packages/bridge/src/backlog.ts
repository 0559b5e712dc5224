/** The outbox's backlog: what waits for a relay. */
export interface BacklogInfo {
  /** Rows waiting. */
  rows: number;
  /** Age of the oldest waiting row (ms); null when none waits. */
  oldestAgeMs: number | null;
}
