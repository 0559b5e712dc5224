import { z } from 'zod';
import type { ValidationError } from '../errors';
import type { KeyBuilder } from '../keys';
import type { Result } from '../result';
import { parseJson, validate } from './validate';

/** A Redis hash as HGETALL returns it and HSET takes it. */
export type HashFields = Record<string, string>;

/** How a value sits in Redis: `hash` (HSET fields) or `json` (one string value, SET/GET). */
export type CodecFormat = 'hash' | 'json';

/**
 * Turns values into their Redis form and back. `decode` reads data anyone may have written, so
 * it never throws and returns the field and rule that failed. `encode` takes a value the caller
 * built, so an invalid one is a bug in the caller: it throws a ValidationError naming the field.
 * Use the model's `validate` first where the value comes from outside (an HTTP body).
 */
export interface Codec<T, W> {
  readonly format: CodecFormat;
  /** The wire form of a valid value; throws ValidationError for an invalid one. */
  encode(value: T): W;
  /** The value of a wire form; never throws. */
  decode(wire: W): Result<T, ValidationError>;
}

/** A swarm model: schema, Redis codec, key and retention in one object. */
export interface Model<T, W, K extends readonly string[] = readonly string[]> extends Codec<T, W> {
  /** Names the model in error messages (`invalid task: ...`). */
  readonly name: string;
  readonly schema: z.ZodType<T>;
  /** Retention to set with EXPIRE on every write, in seconds. */
  readonly ttlSeconds: number;
  /** The Redis key of one value; throws INVALID_ARGUMENT for an id that cannot be a key part. */
  key(keys: KeyBuilder, ...ids: K): string;
  /** Checks an already-parsed value; never throws. */
  validate(value: unknown): Result<T, ValidationError>;
}

interface ModelDefinition<S extends z.ZodType, W, K extends readonly string[]> {
  name: string;
  schema: S;
  codec: Codec<z.output<S>, W>;
  key: (keys: KeyBuilder, ...ids: K) => string;
  ttlSeconds: number;
}

export function defineModel<S extends z.ZodType, W, K extends readonly string[]>(
  def: ModelDefinition<S, W, K>,
): Model<z.output<S>, W, K> {
  const { name, schema, codec, key, ttlSeconds } = def;
  return {
    name,
    schema: schema as z.ZodType<z.output<S>>,
    ttlSeconds,
    format: codec.format,
    key,
    encode: (value) => codec.encode(value),
    decode: (wire) => codec.decode(wire),
    validate: (value) => validate(schema, value, name),
  };
}

function encodable<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = validate(schema, value, what);
  if (!r.ok) throw r.error;
  return r.value;
}

/** One JSON string value. */
export function jsonCodec<S extends z.ZodType>(schema: S, what: string): Codec<z.output<S>, string> {
  return {
    format: 'json',
    encode: (value) => JSON.stringify(encodable(schema, value, what)),
    decode(text) {
      const parsed = parseJson(text, what);
      return parsed.ok ? validate(schema, parsed.value, what) : parsed;
    },
  };
}

/**
 * Whether a field's values are strings stored as they are. Every other field is stored as JSON
 * text, the way Python agents `json.dumps` nested values into hash fields.
 */
function storesRawString(schema: z.core.$ZodType): boolean {
  if (schema instanceof z.ZodString || schema instanceof z.ZodEnum) return true;
  if (schema instanceof z.ZodLiteral) return [...schema.values].every((v) => typeof v === 'string');
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodDefault) return storesRawString(schema.def.innerType);
  // z.preprocess(fn, s) is pipe(transform, s); s.transform(fn) is pipe(s, transform).
  if (schema instanceof z.ZodPipe) {
    return storesRawString(schema.def.in instanceof z.ZodTransform ? schema.def.out : schema.def.in);
  }
  return false;
}

function parseField(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    // Not JSON (a timestamp, free text): validation then names the field and its rule.
    return raw;
  }
}

interface FieldRule {
  raw: boolean;
  /** Absent is valid for the field, so an empty hash field reads as absent. */
  optional: boolean;
}

/**
 * HSET fields. String fields are stored as they are, other fields as JSON text; a string value
 * is always written raw (a timestamp stays `2025-...Z`, not `"2025-...Z"`), so a field must not
 * hold both JSON-looking strings and non-strings. An absent optional field is written as `""` so
 * that HSET over an older hash clears it, and `""` reads back as absent: optional string fields
 * must therefore reject `""` (see `optionalText`). Fields not in the schema (written by Python
 * agents) are kept as the strings they are.
 */
export function hashCodec<S extends z.ZodObject>(schema: S, what: string): Codec<z.output<S>, HashFields> {
  const rules = new Map<string, FieldRule>(
    Object.entries(schema.shape).map(([field, fieldSchema]) => [
      field,
      { raw: storesRawString(fieldSchema), optional: z.safeParse(fieldSchema, undefined).success },
    ]),
  );
  return {
    format: 'hash',
    encode(value) {
      const valid = encodable(schema, value, what) as Record<string, unknown>;
      const fields: HashFields = {};
      for (const [field, rule] of rules) if (rule.optional) fields[field] = '';
      for (const [field, v] of Object.entries(valid)) {
        if (v !== undefined) fields[field] = typeof v === 'string' ? v : JSON.stringify(v);
      }
      return fields;
    },
    decode(fields) {
      const input: Record<string, unknown> = {};
      for (const [field, raw] of Object.entries(fields)) {
        const rule = rules.get(field);
        if (rule === undefined || typeof raw !== 'string') input[field] = raw;
        else if (raw === '' && rule.optional) continue;
        else input[field] = rule.raw ? raw : parseField(raw);
      }
      return validate(schema, input, what);
    },
  };
}
