import { AgentbusError, ERROR_CODES } from './errors';

/**
 * Canonical JSON (RFC 8785 in spirit): object keys sorted by UTF-16 code units, no whitespace,
 * `undefined` members dropped, numbers in ECMAScript shortest form. Two equal values always
 * give the same text, so it is what signatures and custody hashes are computed over.
 */
export function canonicalJson(value: unknown): string {
  return write(value, 0);
}

const MAX_DEPTH = 256;

function write(value: unknown, depth: number): string {
  if (depth > MAX_DEPTH) {
    throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, `canonicalJson: nesting deeper than ${MAX_DEPTH}`);
  }
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) {
        throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, `canonicalJson: ${value} is not valid JSON`);
      }
      return Object.is(value, -0) ? '0' : JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        return `[${value.map((v) => (v === undefined ? 'null' : write(v, depth + 1))).join(',')}]`;
      }
      const toJSON = (value as { toJSON?: () => unknown }).toJSON;
      if (typeof toJSON === 'function') return write(toJSON.call(value), depth + 1);
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${write(obj[k], depth + 1)}`).join(',')}}`;
    }
    default:
      throw new AgentbusError(
        ERROR_CODES.INVALID_ARGUMENT,
        `canonicalJson: a ${typeof value} is not valid JSON`,
      );
  }
}
