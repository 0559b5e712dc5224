import type { z } from 'zod';
import { envelopeSchema, type Envelope } from './envelope';
import type { PayloadTooLargeError} from './errors';
import { ValidationError } from './errors';
import { isPlainValidEnvelope } from './internal/fast-envelope';
import { checkSize, parseJson, toIssues, validate } from './internal/validate';
import { err, ok, type Result } from './result';

/** Validates payloads by envelope `type`; a type with no entry keeps its payload as it is. */
export interface PayloadRegistry {
  register(type: string, schema: z.ZodType): PayloadRegistry;
  get(type: string): z.ZodType | undefined;
  types(): string[];
}

export function createPayloadRegistry(entries: Record<string, z.ZodType> = {}): PayloadRegistry {
  const map = new Map<string, z.ZodType>(Object.entries(entries));
  const registry: PayloadRegistry = {
    register(type, schema) {
      map.set(type, schema);
      return registry;
    },
    get: (type) => map.get(type),
    types: () => [...map.keys()],
  };
  return registry;
}

export interface EnvelopeCodecOptions {
  /** Largest encoded envelope accepted, in bytes. Default 1 MiB. */
  maxBytes?: number;
  /** Payload schemas by envelope type. Default: none (payloads pass as they are). */
  payloads?: PayloadRegistry;
}

export const DEFAULT_ENVELOPE_CODEC_OPTIONS: Required<Pick<EnvelopeCodecOptions, 'maxBytes'>> = {
  maxBytes: 1024 * 1024,
};

export type DecodeError = ValidationError | PayloadTooLargeError;

/** Checks an already-parsed value (an HTTP body, a test fixture) against the envelope schema. */
export function validateEnvelope(
  value: unknown,
  options: EnvelopeCodecOptions = {},
): Result<Envelope, ValidationError> {
  let env: Envelope;
  if (isPlainValidEnvelope(value)) {
    env = value as Envelope;
  } else {
    const r = validate(envelopeSchema, value, 'envelope');
    if (!r.ok) return r;
    env = r.value as Envelope;
  }
  const payloadSchema = options.payloads?.get(env.type);
  if (payloadSchema) {
    const p = payloadSchema.safeParse(env.payload);
    if (!p.success) {
      const issues = toIssues(p.error).map((i) => ({
        ...i,
        path: i.path ? `payload.${i.path}` : 'payload',
      }));
      return err(new ValidationError(`${env.type} envelope`, issues));
    }
    env.payload = p.data;
  }
  return ok(env);
}

/** Wire text of an envelope (JSON); refuses one over `maxBytes`. */
export function encodeEnvelope(
  env: Envelope,
  options: EnvelopeCodecOptions = {},
): Result<string, PayloadTooLargeError> {
  const text = JSON.stringify(env);
  return checkSize(text, options.maxBytes ?? DEFAULT_ENVELOPE_CODEC_OPTIONS.maxBytes, 'envelope');
}

/** Decodes wire text (or bytes) into a validated envelope; never throws. */
export function decodeEnvelope(
  input: string | Buffer,
  options: EnvelopeCodecOptions = {},
): Result<Envelope, DecodeError> {
  const text = typeof input === 'string' ? input : input.toString('utf8');
  const size = checkSize(text, options.maxBytes ?? DEFAULT_ENVELOPE_CODEC_OPTIONS.maxBytes, 'envelope');
  if (!size.ok) return size;
  const parsed = parseJson(text, 'envelope');
  if (!parsed.ok) return parsed;
  return validateEnvelope(parsed.value, options);
}
