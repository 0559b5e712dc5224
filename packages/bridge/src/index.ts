// Public API of @agentbus/bridge. Explicit named exports only.
export { recordL1, recordL1Many } from './record-l1';
export type { L1EventInput, RecordL1Options, RecordedL1 } from './record-l1';
export type { SqlClient } from './sql-client';
export { migrate, loadMigrations, migrationsDir } from './migrate';
export type { Migration, MigrateResult } from './migrate';
export { BRIDGE_SCHEMA, OUTBOX_TABLE, DEAD_TABLE, NOTIFY_CHANNEL } from './internal/sql';
export { createRelay, DEFAULT_RELAY_OPTIONS } from './relay';
export type {
  Relay,
  RelayOptions,
  RelayHooks,
  RelayStats,
  RelayState,
  RelayedBatch,
  RelayedEvent,
  DeadRow,
} from './relay';
export type { BacklogInfo } from './backlog';
export { L1_ENVELOPE_TYPE, l1Envelope, traceparentOf } from './l1-envelope';
export type { OutboxRow } from './l1-envelope';
export { relayEnv } from './relay-env';
export type { RelayEnv } from './relay-env';
export { runCli, CLI_USAGE } from './run-cli';
export type { CliIo } from './run-cli';
export { BaseSubscriber, DEFAULT_BASE_SUBSCRIBER_OPTIONS } from './base-subscriber';
export type { BaseSubscriberOptions, L2Message, MessageOutcome, SubscriberCounters } from './base-subscriber';
export {
  CitationGraphSubscriber,
  CITATION_EDGES_TABLE,
  createCitationTable,
  citationEdgesOf,
} from './examples/citation-graph-subscriber';
export type { CitationGraphOptions, CitationEdge } from './examples/citation-graph-subscriber';
