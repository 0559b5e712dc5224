// Public API of @agentbus/schema. Explicit named exports only.
export {
  ERROR_CODES,
  RETRYABLE_ERROR_CODES,
  AgentbusError,
  ValidationError,
  PayloadTooLargeError,
  SignatureError,
  CustodyError,
  isAgentbusError,
} from './errors';
export type { AgentbusErrorCode, AgentbusErrorOptions, ValidationIssue } from './errors';
export { ok, err, unwrap } from './result';
export type { Result } from './result';
export {
  DEFAULT_NAMESPACE,
  TOPIC_KEY_KINDS,
  GROUP_KEY_KINDS,
  PRIORITIES,
  assertTopic,
  createKeyBuilder,
} from './keys';
export type { KeyBuilder, TopicKeyKind, GroupKeyKind, Priority } from './keys';
export { uuidv7, uuidv7Time, UUID_V7_RE } from './uuid';
export { canonicalJson } from './canonical-json';
export {
  SPEECH_ACTS,
  ENVELOPE_VERSION,
  BROADCAST,
  envelopeSchema,
  custodyHopSchema,
  createEnvelope,
  createReply,
  isExpired,
} from './envelope';
export type { Envelope, EnvelopeInput, SpeechAct, CustodyHop } from './envelope';
export {
  DEFAULT_ENVELOPE_CODEC_OPTIONS,
  createPayloadRegistry,
  encodeEnvelope,
  decodeEnvelope,
  validateEnvelope,
} from './envelope-codec';
export type { EnvelopeCodecOptions, PayloadRegistry, DecodeError } from './envelope-codec';
export { generateSigningKeyPair, signEnvelope, verifyEnvelope, signingInput } from './signature';
export type { SigningKey, SigningKeyPair } from './signature';
export { appendCustody, verifyCustody, custodyHead } from './custody';
export type { CustodyStep, VerifyCustodyOptions } from './custody';
export type { Model, Codec, CodecFormat, HashFields } from './internal/model';
export { TASK_STATUSES, TASK_TTL_SECONDS, taskSchema, TaskModel } from './models/task';
export type { Task, TaskStatus } from './models/task';
export { FINDING_TTL_SECONDS, findingSchema, FindingModel, FindingHashCodec } from './models/finding';
export type { Finding } from './models/finding';
export {
  CONTEXT_TTL_SECONDS,
  contextSchema,
  timelineEntrySchema,
  ContextModel,
  ContextHashCodec,
} from './models/context';
export type { Context, TimelineEntry } from './models/context';
export {
  SESSION_SUMMARY_TTL_SECONDS,
  sessionSummarySchema,
  SessionSummaryModel,
} from './models/session-summary';
export type { SessionSummary } from './models/session-summary';
export {
  SWARM_REGISTRY_TTL_SECONDS,
  AGENT_STATUSES,
  swarmAgentSchema,
  swarmRegistrySchema,
  SwarmRegistryModel,
} from './models/swarm-registry';
export type { SwarmRegistry, SwarmAgent, AgentStatus } from './models/swarm-registry';
export {
  REMEDIATION_SCAN_TTL_SECONDS,
  remediationScanSchema,
  remediationViolationSchema,
  RemediationScanModel,
} from './models/remediation-scan';
export type { RemediationScan, RemediationViolation } from './models/remediation-scan';
export { timestampSchema, normaliseTimestamp, citationSchema } from './models/fields';
export {
  CHAT_EVENT_TYPES,
  SYSTEM_EVENT_PREFIX,
  PRESENCE_STATUSES,
  CHAT_MEMBER_KINDS,
  CHAT_MEMBER_ROLES,
  CHAT_PAYLOAD_SCHEMAS,
  chatParticipantSchema,
  systemChatPayloadSchema,
  chatEventSchema,
  chatPayloadSchema,
  isChatEventType,
  isNamedChatEventType,
  decodeChatEvent,
} from './chat/chat-events';
export type {
  ChatEvent,
  ChatEventType,
  NamedChatEventType,
  SystemChatEventType,
  ChatPayload,
  ChatParticipant,
  ChatMemberKind,
  ChatMemberRole,
  PresenceStatus,
} from './chat/chat-events';
export { createChatPayloadRegistry } from './chat/chat-payload-registry';
export {
  L1_EVENT_TYPES,
  L1_TOPIC_PREFIX,
  l1EventSchema,
  encodeL1Event,
  decodeL1Event,
  l1Topic,
} from './l1-event';
export type { L1Event, L1EventType } from './l1-event';
