import type { HashFields } from '@agentbus/schema';

/** `[field, value, field, value, ...]` (HGETALL in Lua) as an object. */
export function fieldsOf(flat: readonly unknown[]): HashFields {
  const fields: HashFields = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[String(flat[i])] = String(flat[i + 1]);
  return fields;
}

/** An object as `[field, value, ...]`, for HSET arguments. */
export function flatten(fields: HashFields): string[] {
  return Object.entries(fields).flat();
}
