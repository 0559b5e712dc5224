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
  PRIORITIES,
  assertTopic,
  createKeyBuilder,
} from './keys';
export type { KeyBuilder, TopicKeyKind, Priority } from './keys';
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
