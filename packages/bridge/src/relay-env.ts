import { AgentbusError, ERROR_CODES } from '@agentbus/schema';
import { z } from 'zod';
import type { RelayOptions } from './relay';

/** The relay settings a process takes from its environment. */
export interface RelayEnv {
  /** `DATABASE_URL`: the PostgreSQL holding the outbox. */
  databaseUrl: string;
  /** `BRIDGE_*` settings over the relay's defaults. */
  options: Pick<RelayOptions, 'batchSize' | 'maxModulesPerBatch' | 'pollIntervalMs' | 'dedupeWindowMs' | 'pubsub' | 'agentId' | 'publishTimeoutMs' | 'leaseMs'>;
  /** `BRIDGE_MIGRATE=1`: run the migrations before relaying. */
  migrate: boolean;
  /** Where the relay serves GET /metrics and GET /health. */
  metrics: {
    /** `BRIDGE_METRICS_PORT`: 0 (the default) = no metrics server. */
    port: number;
    /** `BRIDGE_METRICS_HOST`: the address to bind. Default 127.0.0.1. */
    host: string;
  };
}

/** The metrics server's address when none is given: loopback only, as the worker's /metrics. */
const DEFAULT_METRICS_HOST = '127.0.0.1';

const positiveInt = z.coerce.number().int().positive();
const flag = z.enum(['1', '0', 'true', 'false', 'yes', 'no']).transform((v) => v === '1' || v === 'true' || v === 'yes');

const METRICS_PORT_RULE = 'BRIDGE_METRICS_PORT must be a port number, 0-65535 (0 = no metrics server)';
const metricsPort = z
  .string()
  .regex(/^\d{1,5}$/, METRICS_PORT_RULE)
  .transform(Number)
  .pipe(z.number().max(65_535, METRICS_PORT_RULE));

const envSchema = z.object({
  DATABASE_URL: z
    .string({ error: 'DATABASE_URL is not set: give the PostgreSQL URL of the outbox, e.g. postgres://user@host:5432/db' })
    .regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must be a postgres:// or postgresql:// URL'),
  BRIDGE_BATCH_SIZE: positiveInt.optional(),
  BRIDGE_MAX_MODULES_PER_BATCH: positiveInt.optional(),
  BRIDGE_POLL_INTERVAL_MS: positiveInt.optional(),
  BRIDGE_DEDUPE_WINDOW_MS: positiveInt.optional(),
  BRIDGE_PUBLISH_TIMEOUT_MS: positiveInt.optional(),
  BRIDGE_LEASE_MS: positiveInt.optional(),
  BRIDGE_PUBSUB: flag.optional(),
  BRIDGE_AGENT_ID: z.string().min(1).max(256).optional(),
  BRIDGE_MIGRATE: flag.optional(),
  BRIDGE_METRICS_PORT: metricsPort.optional(),
  BRIDGE_METRICS_HOST: z.string().min(1).max(255).optional(),
});

/**
 * Reads `DATABASE_URL` and the `BRIDGE_*` settings (BATCH_SIZE, MAX_MODULES_PER_BATCH, POLL_INTERVAL_MS,
 * DEDUPE_WINDOW_MS, PUBLISH_TIMEOUT_MS, LEASE_MS, PUBSUB, AGENT_ID, MIGRATE, METRICS_PORT,
 * METRICS_HOST); throws INVALID_ARGUMENT naming the variable for a bad value.
 */
export function relayEnv(env: NodeJS.ProcessEnv = process.env): RelayEnv {
  // An empty variable counts as unset, as shells and compose files often leave them.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, issue.message.includes(name) ? issue.message : `${name}: ${issue.message}`);
  }
  const e = parsed.data;
  const options: RelayEnv['options'] = {};
  if (e.BRIDGE_BATCH_SIZE !== undefined) options.batchSize = e.BRIDGE_BATCH_SIZE;
  if (e.BRIDGE_MAX_MODULES_PER_BATCH !== undefined) options.maxModulesPerBatch = e.BRIDGE_MAX_MODULES_PER_BATCH;
  if (e.BRIDGE_POLL_INTERVAL_MS !== undefined) options.pollIntervalMs = e.BRIDGE_POLL_INTERVAL_MS;
  if (e.BRIDGE_DEDUPE_WINDOW_MS !== undefined) options.dedupeWindowMs = e.BRIDGE_DEDUPE_WINDOW_MS;
  if (e.BRIDGE_PUBLISH_TIMEOUT_MS !== undefined) options.publishTimeoutMs = e.BRIDGE_PUBLISH_TIMEOUT_MS;
  if (e.BRIDGE_LEASE_MS !== undefined) options.leaseMs = e.BRIDGE_LEASE_MS;
  if (e.BRIDGE_PUBSUB !== undefined) options.pubsub = e.BRIDGE_PUBSUB;
  if (e.BRIDGE_AGENT_ID !== undefined) options.agentId = e.BRIDGE_AGENT_ID;
  return {
    databaseUrl: e.DATABASE_URL,
    options,
    migrate: e.BRIDGE_MIGRATE ?? false,
    metrics: { port: e.BRIDGE_METRICS_PORT ?? 0, host: e.BRIDGE_METRICS_HOST ?? DEFAULT_METRICS_HOST },
  };
}
