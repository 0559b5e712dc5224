import type { RawEntry } from '../internal/stream-backend';

/** One entry of an XREADGROUP / XAUTOCLAIM reply: its `env` and `hdr` fields (nil fields: deleted). */
export function entryOf(item: [string, string[] | null]): RawEntry {
  const fields = item[1];
  let raw: string | null = null;
  let headers: string | null = null;
  if (fields) {
    for (let i = 0; i < fields.length; i += 2) {
      if (fields[i] === 'env') raw = fields[i + 1] ?? null;
      else if (fields[i] === 'hdr') headers = fields[i + 1] ?? null;
    }
  }
  return headers === null ? { id: item[0], raw } : { id: item[0], raw, headers };
}
