/** The envelope's field rules, shared by the zod schema and the hot-path check. */

/** FIPA ACL speech acts an envelope may carry. */
export const SPEECH_ACTS = [
  'inform',
  'request',
  'propose',
  'accept',
  'reject',
  'agree',
  'refuse',
  'cfp',
  'failure',
  'escalate',
  'hold',
] as const;
export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._:*\-/@]{0,199}$/;
export const TRACEPARENT_RE = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
export const HASH_RE = /^[0-9a-f]{64}$/;
