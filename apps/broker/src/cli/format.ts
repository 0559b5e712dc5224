import { decodeEnvelope, type Envelope } from '@agentbus/schema';

/** Left-aligned columns, two spaces apart; the last column is not padded. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [headers, ...rows];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

/** `text`, cut to `max` characters with an ellipsis. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** `HH:MM:SS.mmm` (UTC) of a ms timestamp. */
export function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 23);
}

/** One line per message: time, priority, from -> to, type/act, payload. */
export function envelopeLine(env: Envelope, where: string): string {
  const payload = truncate(JSON.stringify(env.payload) ?? 'undefined', 160);
  return `${clock(env.ts)}  ${where}  ${env.priority.padEnd(6)}  ${env.from} -> ${env.to}  ${env.type}/${env.act}  ${payload}`;
}

/** The envelope of a stream entry's raw `env` text, or why it is not one. */
export function decodeRaw(raw: string): { env: Envelope } | { error: string } {
  const r = decodeEnvelope(raw);
  return r.ok ? { env: r.value } : { error: r.error.message };
}

/** Writes `value` as pretty JSON plus a newline. */
export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
