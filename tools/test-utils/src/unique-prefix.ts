import { randomBytes } from 'node:crypto';

/** Random per process, so parallel workers sharing one Redis never produce the same prefix. */
const RUN_ID = randomBytes(4).toString('hex');
let counter = 0;

/**
 * A key namespace no other test in this run uses: `t-<run>-<n>` or `t-<run>-<n>-<name>`.
 * Only A-Z a-z 0-9 . _ - (valid for @agentbus/schema's createKeyBuilder), at most 100 chars,
 * so tests sharing a Redis never see each other's keys and need no FLUSHALL.
 */
export function uniquePrefix(name?: string): string {
  counter += 1;
  const base = `t-${RUN_ID}-${counter}`;
  const slug = (name ?? '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 100 - base.length - 1);
  return slug === '' ? base : `${base}-${slug}`;
}
