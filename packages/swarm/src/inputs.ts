import { z } from 'zod';
import { AGENT_STATUSES, PRIORITIES, SPEECH_ACTS, TASK_STATUSES, citationSchema, timestampSchema } from '@agentbus/schema';
import { MAX_TASK_TTL_SECONDS } from './internal/swarm-store';

/**
 * The zod schemas of what callers hand the swarm: one per operation body, so the broker can
 * validate an HTTP body (and generate OpenAPI) with the very schema the swarm uses. Record
 * bodies use the models' snake_case field names; options objects use camelCase.
 */

/** An id that becomes a key part (`task:{id}`): 1-512 characters, no whitespace or braces. */
export const recordIdSchema = z.string().regex(/^[^\s{}]{1,512}$/, 'must be 1-512 characters without whitespace or braces');

/** An agent id, as tasks (`assignee`), findings (`worker_id`) and registries store it. */
export const agentIdSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(256, 'must be at most 256 characters')
  .regex(/^\S+$/, 'must not contain whitespace');

/** JSON data: what survives JSON.stringify and back unchanged. */
const jsonObject = z.record(z.string(), z.json());

/** Where a listing reads from: the swarm's own index, or a SCAN of every key (sees records other programs wrote). */
export const listSourceSchema = z.enum(['index', 'scan']);
export type ListSource = z.output<typeof listSourceSchema>;

const limitSchema = z.number().int().min(1).max(10_000);

/** Body of createTask. */
export const createTaskInputSchema = z.strictObject({
  /** Default: a new UUIDv7. */
  id: recordIdSchema.optional(),
  description: z.string().max(65_536),
  type: z.string().min(1).max(256),
  data: jsonObject.default({}),
  /**
   * The task's own TTL in seconds, stored in its `ttl_seconds` field and kept by every later
   * write (claim, renew, escalate, release, complete, fail). Default: 24 h.
   */
  ttl_seconds: z.number().int().min(1).max(MAX_TASK_TTL_SECONDS).optional(),
});
export type CreateTaskInput = z.input<typeof createTaskInputSchema>;

const statusSchema = z.enum(TASK_STATUSES);

/** Options of listTasks. */
export const listTasksOptionsSchema = z.strictObject({
  /** One status or several. Default: all. */
  status: z.union([statusSchema, z.array(statusSchema).min(1)]).optional(),
  type: z.string().min(1).max(256).optional(),
  /** Default `index`; `scan` also finds tasks that Python agents wrote as bare `task:{id}` hashes. */
  source: listSourceSchema.default('index'),
  /** Default: the swarm's `listLimit`. */
  limit: limitSchema.optional(),
});
export type ListTasksOptions = z.input<typeof listTasksOptionsSchema>;

/** Options of claimNextTask. */
export const claimNextOptionsSchema = z.strictObject({
  /** Only a task of this type. */
  type: z.string().min(1).max(256).optional(),
  /** Default `index` (oldest pending first); `scan` also finds tasks only Python agents wrote. */
  source: listSourceSchema.default('index'),
});
export type ClaimNextOptions = z.input<typeof claimNextOptionsSchema>;

/** Body of postFinding. */
export const postFindingInputSchema = z.strictObject({
  /** Default: a new UUIDv7. */
  id: recordIdSchema.optional(),
  claim: z.string().min(1).max(65_536),
  /** How sure the worker is: 0 (not at all) to 1 (certain). */
  confidence: z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1'),
  /** URIs backing the claim (`if://citation/...`, `https://...`, `finding:{id}`). */
  citations: z.array(citationSchema).default([]),
  speech_act: z.enum(SPEECH_ACTS).default('inform'),
  worker_id: agentIdSchema,
  /** Task the finding belongs to; indexed so listFindings(task) finds it. */
  task_id: recordIdSchema.optional(),
  /** Default: now. */
  timestamp: timestampSchema.optional(),
});
export type PostFindingInput = z.input<typeof postFindingInputSchema>;

/** Options of listFindings. */
export const listFindingsOptionsSchema = z.strictObject({
  source: listSourceSchema.default('index'),
  limit: limitSchema.optional(),
});
export type ListFindingsOptions = z.input<typeof listFindingsOptionsSchema>;

/** Options of detectConflicts. */
export const detectConflictsOptionsSchema = z.strictObject({
  /** Confidence gap above which disagreeing findings conflict. Default: the swarm's `conflictThreshold`. */
  threshold: z.number().min(0).max(1).optional(),
  source: listSourceSchema.default('index'),
});
export type DetectConflictsOptions = z.input<typeof detectConflictsOptionsSchema>;

/** Body of escalate. */
export const escalateInputSchema = z.strictObject({
  /** The agent asking for help (the envelope's `from`). */
  agent_id: agentIdSchema,
  /** What the human should look at. */
  reason: z.string().min(1).max(4_096),
  /** Findings behind the escalation (e.g. a conflicting pair). */
  finding_ids: z.array(recordIdSchema).max(100).default([]),
  /** Priority lane of the escalation message. Default `high`. */
  priority: z.enum(PRIORITIES).default('high'),
});
export type EscalateInput = z.input<typeof escalateInputSchema>;

/** Body of shareContext: what to merge into `context:{scope}:{name}`. */
export const contextPatchSchema = z.strictObject({
  /** Appended to the notes. */
  notes: z.union([z.string(), z.array(z.string())]).optional(),
  /** Appended to the timeline; `at` defaults to now; other fields (`by`, ...) are kept. */
  timeline: z.array(z.looseObject({ at: timestampSchema.optional(), event: z.string().min(1) })).optional(),
  /** Added to the topics (no duplicates, first-seen order). */
  topics: z.array(z.string().min(1)).optional(),
  /** Merged into shared_data key by key (a key given replaces the stored one). */
  shared_data: jsonObject.optional(),
});
export type ContextPatch = z.input<typeof contextPatchSchema>;

/** Body of putSessionSummary (the project is the first argument). */
export const sessionSummaryInputSchema = z.strictObject({
  /** Usually `YYYY-MM-DD`. */
  date: recordIdSchema,
  label: recordIdSchema,
  summary: z.string().max(1_000_000),
  metrics: z.record(z.string(), z.number()).default({}),
  /** Default: now. */
  created_at: timestampSchema.optional(),
});
export type SessionSummaryInput = z.input<typeof sessionSummaryInputSchema>;

/** Body of registerAgent; fields beyond these (`model`, ...) are kept on the roster entry. */
export const registerAgentInputSchema = z.looseObject({
  id: agentIdSchema,
  role: z.string().min(1).max(256),
  status: z.enum(AGENT_STATUSES).default('active'),
  /** Ed25519 public key (raw base64url or PEM) verifying the agent's signed envelopes. */
  public_key: z.string().optional(),
});
export type RegisterAgentInput = z.input<typeof registerAgentInputSchema>;

/** Body of setAllowlist: the swarms allowed to read this swarm's data. */
export const allowlistSchema = z.array(recordIdSchema).max(1_000);

/** Options of remediate. */
export const remediateOptionsSchema = z.strictObject({
  /** Fix what the scan finds: set missing TTLs, move keys of the wrong type aside. Default false (report only). */
  apply: z.boolean().default(false),
  /** Names the report (`swarm:remediation:{date}:{scanType}`). Default `key_hygiene`. */
  scanType: recordIdSchema.default('key_hygiene'),
  /** Date part of the report key. Default: today (UTC, `YYYY-MM-DD`). */
  date: recordIdSchema.optional(),
});
export type RemediateOptions = z.input<typeof remediateOptionsSchema>;
