// Public API of @agentbus/swarm. Explicit named exports only.
export { createSwarm, DEFAULT_SWARM_OPTIONS } from './swarm';
export type { Swarm, SwarmOptions } from './swarm';
export type { SwarmTasks } from './tasks';
export type { SwarmFindings, ConflictReport } from './findings';
export { ESCALATION_TYPE } from './escalation';
export type { SwarmEscalation, EscalationPayload, EscalationResult } from './escalation';
export type { SwarmContexts } from './context';
export type { SwarmSessions } from './sessions';
export type { SwarmRegistryApi } from './registry';
export type { SwarmRemediation, RemediationAction } from './remediation';
export type { SwarmList, InvalidRecord } from './swarm-list';
export { createSwarmMemoryStore } from './memory/memory-swarm-store';
export type { SwarmMemoryStore, SwarmMemoryStoreOptions } from './memory/memory-swarm-store';
export { SwarmDataError } from './errors';
export { findConflicts, disagreement, normaliseClaim, NEGATIVE_SPEECH_ACTS } from './conflicts';
export type { FindingConflict, DisagreementReason } from './conflicts';
export { mergeContext } from './context-merge';
export { swarmKeyShapes } from './key-shapes';
export type { KeyShape } from './key-shapes';
export {
  recordIdSchema,
  agentIdSchema,
  listSourceSchema,
  createTaskInputSchema,
  listTasksOptionsSchema,
  claimNextOptionsSchema,
  postFindingInputSchema,
  listFindingsOptionsSchema,
  detectConflictsOptionsSchema,
  escalateInputSchema,
  contextPatchSchema,
  sessionSummaryInputSchema,
  registerAgentInputSchema,
  allowlistSchema,
  remediateOptionsSchema,
} from './inputs';
export type {
  ListSource,
  CreateTaskInput,
  ListTasksOptions,
  ClaimNextOptions,
  PostFindingInput,
  ListFindingsOptions,
  DetectConflictsOptions,
  EscalateInput,
  ContextPatch,
  SessionSummaryInput,
  RegisterAgentInput,
  RemediateOptions,
} from './inputs';
