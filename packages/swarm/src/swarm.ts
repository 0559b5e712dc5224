import type { Redis } from 'ioredis';
import { assertTopic, TASK_TTL_SECONDS, type KeyBuilder } from '@agentbus/schema';
import type { Transport } from '@agentbus/transport';
import { z } from 'zod';
import { createSwarmContexts, type SwarmContexts } from './context';
import { invalidArgument } from './errors';
import { createSwarmEscalation, type SwarmEscalation } from './escalation';
import { createSwarmFindings, type SwarmFindings } from './findings';
import { parseArgument } from './internal/parse';
import { leaseIndexKey, statusIndexKeys, type ResolvedSwarmOptions, type SwarmContext } from './internal/swarm-context';
import { createMemorySwarmStore, createSwarmMemoryStore, type SwarmMemoryStore } from './memory/memory-swarm-store';
import { createRedisSwarmStore } from './redis/redis-swarm-store';
import { createSwarmRegistry, type SwarmRegistryApi } from './registry';
import { createSwarmRemediation, type SwarmRemediation } from './remediation';
import { createSwarmSessions, type SwarmSessions } from './sessions';
import { createSwarmTasks, type SwarmTasks } from './tasks';

export interface SwarmOptions {
  /** Stream topic escalations are appended to (durable; consume it with a group). Default `swarm.escalations`. */
  escalationTopic?: string;
  /** The `to` of escalation envelopes. Default `human`. */
  escalationRecipient?: string;
  /** Confidence gap above which two disagreeing findings of a task conflict. Default 0.3. */
  conflictThreshold?: number;
  /** Records a listing returns when the call gives no limit. Default 100. */
  listLimit?: number;
  /** Keys asked for per SCAN call (scan listings, remediation). Default 500. */
  scanCount?: number;
  /** Read-merge-write retries (context shares, registry updates, escalations) after losing a race. Default 32 (with a jittered backoff). */
  maxCasRetries?: number;
  /** TTL of a key remediation moved aside, seconds; 0 = none. Default 7 days. */
  quarantineTtlSeconds?: number;
  /**
   * How long a claim holds a task without renewal, ms: a claim sets the task's `claimed_until`
   * to now + this, `renewClaim` moves it on, and once it has passed claimNextTask (or claimTask)
   * may give the task to another agent. Default 300000 (5 min).
   */
  claimLeaseMs?: number;
  /** Clock for timestamps and index scores (ms since epoch). Default `Date.now`. */
  now?: () => number;
  /**
   * Memory backend only: the data this swarm uses. Default: one store per transport, so every
   * swarm created on the same memory transport shares tasks and findings. Pass one store to
   * several transports' swarms to share across them.
   */
  memoryStore?: SwarmMemoryStore;
}

export const DEFAULT_SWARM_OPTIONS = {
  escalationTopic: 'swarm.escalations',
  escalationRecipient: 'human',
  conflictThreshold: 0.3,
  listLimit: 100,
  scanCount: 500,
  maxCasRetries: 32,
  quarantineTtlSeconds: 7 * 24 * 60 * 60,
  claimLeaseMs: 5 * 60 * 1000,
} as const satisfies SwarmOptions;

/**
 * Swarm coordination on one transport. Every method is one operation an HTTP route can serve:
 * path parameters are positional arguments, a JSON body is the one object argument (validated
 * by the schema exported beside it), errors are AgentbusErrors with a `code` (NOT_FOUND,
 * CONFLICT, INVALID_MESSAGE / INVALID_ARGUMENT, WRONG_TYPE).
 */
export interface Swarm extends SwarmTasks, SwarmFindings, SwarmEscalation, SwarmContexts, SwarmSessions, SwarmRegistryApi, SwarmRemediation {
  readonly backend: 'redis' | 'memory';
  readonly keys: KeyBuilder;
}

const optionsSchema = z.strictObject({
  escalationTopic: z.string().optional(),
  escalationRecipient: z.string().min(1).max(256).optional(),
  conflictThreshold: z.number().min(0).max(1).optional(),
  listLimit: z.number().int().min(1).max(10_000).optional(),
  scanCount: z.number().int().min(1).max(100_000).optional(),
  maxCasRetries: z.number().int().min(0).max(1_000).optional(),
  quarantineTtlSeconds: z.number().int().min(0).optional(),
  claimLeaseMs: z.number().int().min(1).max(TASK_TTL_SECONDS * 1000).optional(),
  now: z.function().optional(),
  memoryStore: z.object({ now: z.function() }).optional(),
});

const perTransport = new WeakMap<Transport, SwarmMemoryStore>();

function memoryStoreOf(transport: Transport): SwarmMemoryStore {
  let store = perTransport.get(transport);
  if (!store) {
    store = createSwarmMemoryStore();
    perTransport.set(transport, store);
  }
  return store;
}

/**
 * Swarm coordination (tasks, findings, escalation, context, session summaries, registry,
 * remediation) on a transport's Redis — Lua scripts where a change must be atomic — or, on the
 * memory transport, in memory with the same semantics. Keys are the Python agents' shapes
 * (`task:{id}` hashes, ...) under the transport's namespace. Standalone or Sentinel Redis: a
 * Redis Cluster transport is refused (a task and its indexes live in different slots).
 */
export function createSwarm(transport: Transport, options: SwarmOptions = {}): Swarm {
  parseArgument(optionsSchema, options, 'swarm options');
  const o = { ...DEFAULT_SWARM_OPTIONS, ...options };
  assertTopic(o.escalationTopic);
  const resolved: ResolvedSwarmOptions = {
    escalationTopic: o.escalationTopic,
    escalationRecipient: o.escalationRecipient,
    conflictThreshold: o.conflictThreshold,
    listLimit: o.listLimit,
    scanCount: o.scanCount,
    maxCasRetries: o.maxCasRetries,
    quarantineTtlSeconds: o.quarantineTtlSeconds,
    claimLeaseMs: o.claimLeaseMs,
    now: options.now ?? Date.now,
  };
  if (transport.redis && transport.capabilities.cluster) {
    throw invalidArgument(
      'createSwarm needs a standalone or Sentinel Redis: its scripts change a task and its status indexes together, and Redis Cluster keeps those keys in different slots. Give the swarm a transport on a non-cluster Redis',
    );
  }
  const store = transport.redis
    ? createRedisSwarmStore(transport.redis as Redis)
    : createMemorySwarmStore(options.memoryStore ?? memoryStoreOf(transport));
  const ctx: SwarmContext = {
    transport,
    store,
    keys: transport.keys,
    options: resolved,
    statusIndex: statusIndexKeys(transport.keys),
    leaseIndex: leaseIndexKey(transport.keys),
    isoNow: () => new Date(resolved.now()).toISOString(),
  };
  return {
    backend: store.backend,
    keys: transport.keys,
    ...createSwarmTasks(ctx),
    ...createSwarmFindings(ctx),
    ...createSwarmEscalation(ctx),
    ...createSwarmContexts(ctx),
    ...createSwarmSessions(ctx),
    ...createSwarmRegistry(ctx),
    ...createSwarmRemediation(ctx),
  };
}
