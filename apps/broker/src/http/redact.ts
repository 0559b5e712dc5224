/**
 * What a backend error says about where Redis lives, removed from text the broker answers with:
 * a caller learns that Redis is down, not its host, port or credentials (the log keeps them).
 */
const ADDRESS_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  [/\brediss?:\/\/[^\s),;]*/gi, 'redis://<redacted>'],
  [/\bRedis (?:at|Cluster) [^\s);]+/g, 'Redis'],
  [/\b(ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)\s+[^\s),;]+/g, '$1'],
  [/\[[0-9a-f:.]*:[0-9a-f:.]*\](?::\d+)?/gi, '<address>'],
  [/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b/g, '<address>'],
  [/\b(?:localhost|[a-z0-9-]+(?:\.[a-z0-9-]+)+):\d{2,5}\b/gi, '<address>'],
];

export function redactAddresses(text: string): string {
  let out = text;
  for (const [pattern, replacement] of ADDRESS_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}
