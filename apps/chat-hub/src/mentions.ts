/** `@id` not preceded by a word character, `@` or `.` (so an e-mail address is no mention). */
const MENTION_RE = /(?<![\w@.])@([A-Za-z0-9][A-Za-z0-9._-]{0,63})/g;

/**
 * The user ids a text mentions, in order of first mention, limited to `known` ids: `@ada.` at the
 * end of a sentence is ada, and `@nobody` is only text.
 */
export function parseMentions(text: string, known: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(MENTION_RE)) {
    let id = m[1] as string;
    while (id.length > 0 && !known.has(id) && /[._-]$/.test(id)) id = id.slice(0, -1);
    if (known.has(id) && !out.includes(id)) out.push(id);
    if (out.length === 256) break;
  }
  return out;
}
