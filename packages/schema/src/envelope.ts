import { z } from 'zod';
import { PRIORITIES, type Priority } from './keys';
import { UUID_V7_RE, uuidv7 } from './uuid';
import { HASH_RE, NAME_RE, SPEECH_ACTS, TRACEPARENT_RE } from './internal/envelope-rules';

export { SPEECH_ACTS };
export type SpeechAct = (typeof SPEECH_ACTS)[number];

/** Wire format version written into `v`. */
export const ENVELOPE_VERSION = 1;

export const custodyHopSchema = z.strictObject({
  agent: z.string().min(1).max(256),
  action: z.string().min(1).max(256),
  at: z.number().int().nonnegative(),
  /** sha256 (hex) of the previous hop, or of the envelope's content for the first hop. */
  prev: z.string().regex(HASH_RE, 'must be a 64-character hex sha256'),
});
export type CustodyHop = z.infer<typeof custodyHopSchema>;

export const envelopeSchema = z.strictObject({
  id: z.string().regex(UUID_V7_RE, 'must be a UUIDv7'),
  type: z.string().regex(NAME_RE, 'must be 1-200 of A-Z a-z 0-9 . _ : * - / @'),
  from: z.string().min(1).max(256),
  to: z.string().min(1).max(256),
  act: z.enum(SPEECH_ACTS),
  payload: z.unknown(),
  ts: z.number().int().nonnegative(),
  priority: z.enum(PRIORITIES),
  ttlMs: z.number().int().positive().optional(),
  correlationId: z.string().min(1).max(256).optional(),
  causationId: z.string().min(1).max(256).optional(),
  traceparent: z.string().regex(TRACEPARENT_RE, 'must be a W3C traceparent').optional(),
  custody: z.array(custodyHopSchema).max(256).optional(),
  sig: z.string().min(1).max(512).optional(),
  v: z.literal(ENVELOPE_VERSION),
});

/** One message on the bus; see DESIGN.md "Wire format". */
export interface Envelope<P = unknown> {
  id: string;
  type: string;
  from: string;
  to: string;
  act: SpeechAct;
  payload: P;
  ts: number;
  priority: Priority;
  ttlMs?: number;
  correlationId?: string;
  causationId?: string;
  traceparent?: string;
  custody?: CustodyHop[];
  sig?: string;
  v: typeof ENVELOPE_VERSION;
}

/** What a caller supplies; the rest (`id`, `ts`, `v`, defaults) is filled in. */
export interface EnvelopeInput<P = unknown> {
  type: string;
  from: string;
  /** Agent id, `broadcast`, or a topic. Default `broadcast`. */
  to?: string;
  /** Default `inform`. */
  act?: SpeechAct;
  payload: P;
  /** Default `normal`. */
  priority?: Priority;
  ttlMs?: number;
  correlationId?: string;
  causationId?: string;
  traceparent?: string;
  /** Default: a new UUIDv7. Give one to make a retried publish idempotent. */
  id?: string;
  /** Default: now. */
  ts?: number;
}

export const BROADCAST = 'broadcast';

/** Builds an envelope with a fresh UUIDv7 id; validate with `decodeEnvelope` where input is untrusted. */
export function createEnvelope<P>(input: EnvelopeInput<P>): Envelope<P> {
  const ts = input.ts ?? Date.now();
  const env: Envelope<P> = {
    id: input.id ?? uuidv7(ts),
    type: input.type,
    from: input.from,
    to: input.to ?? BROADCAST,
    act: input.act ?? 'inform',
    payload: input.payload,
    ts,
    priority: input.priority ?? 'normal',
    v: ENVELOPE_VERSION,
  };
  if (input.ttlMs !== undefined) env.ttlMs = input.ttlMs;
  if (input.correlationId !== undefined) env.correlationId = input.correlationId;
  if (input.causationId !== undefined) env.causationId = input.causationId;
  if (input.traceparent !== undefined) env.traceparent = input.traceparent;
  return env;
}

/** A reply to `request`: same correlation, caused by it, addressed back to its sender. */
export function createReply<P>(
  request: Envelope,
  input: Omit<EnvelopeInput<P>, 'to' | 'correlationId' | 'causationId'>,
): Envelope<P> {
  return createEnvelope({
    ...input,
    to: request.from,
    correlationId: request.correlationId ?? request.id,
    causationId: request.id,
    ...(request.traceparent !== undefined && input.traceparent === undefined
      ? { traceparent: request.traceparent }
      : {}),
  });
}

/** True when the envelope has a `ttlMs` and `now` is past `ts + ttlMs`. */
export function isExpired(env: Pick<Envelope, 'ts' | 'ttlMs'>, now: number = Date.now()): boolean {
  return env.ttlMs !== undefined && now > env.ts + env.ttlMs;
}
