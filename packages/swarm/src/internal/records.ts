import type { Codec, HashFields } from '@agentbus/schema';
import { invalidRecord, wrongType, type SwarmDataError } from '../errors';
import type { InvalidRecord } from '../swarm-list';
import type { StoredValue } from './swarm-store';

/** How one kind of record is read: the codec of each TYPE it may be stored as. */
export interface RecordReader<T> {
  /** Names the record in errors (`task`, `finding`, ...). */
  what: string;
  /** The TYPE it is written as. */
  expected: 'string' | 'hash';
  string?: Codec<T, string>;
  hash?: Codec<T, HashFields>;
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: SwarmDataError } | { ok: false; error: undefined };

/** Decodes a stored value; `error: undefined` when the key does not exist. Never throws. */
export function decodeStored<T>(key: string, stored: StoredValue, reader: RecordReader<T>): Decoded<T> {
  if (stored.type === 'none') return { ok: false, error: undefined };
  const codec = stored.type === 'string' ? reader.string : stored.type === 'hash' ? reader.hash : undefined;
  if (!codec || stored.type === 'other') {
    const actual = stored.type === 'other' ? stored.actualType : stored.type;
    return { ok: false, error: wrongType(key, reader.what, reader.expected, actual) };
  }
  const r = (codec as Codec<T, string | HashFields>).decode(stored.value);
  return r.ok ? { ok: true, value: r.value } : { ok: false, error: invalidRecord(key, reader.what, r.error) };
}

/** Decodes a stored value that must exist; throws the SwarmDataError, or `missing()`. */
export function decodeOrThrow<T>(key: string, stored: StoredValue, reader: RecordReader<T>, missing: () => Error): T {
  const d = decodeStored(key, stored, reader);
  if (d.ok) return d.value;
  throw d.error ?? missing();
}

export function invalidEntry(error: SwarmDataError): InvalidRecord {
  return {
    key: error.key,
    code: error.code,
    ...(error.field === undefined ? {} : { field: error.field }),
    message: error.message,
  };
}
