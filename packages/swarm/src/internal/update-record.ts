import { ValidationError, type Model } from '@agentbus/schema';
import { conflict } from '../errors';
import { decodeStored, type RecordReader } from './records';
import type { SwarmContext } from './swarm-context';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** After a lost race: a random while (up to 2^attempt ms, at most 100) so writers spread out. */
export function casBackoff(attempt: number): Promise<void> {
  return sleep(Math.random() * Math.min(2 ** attempt, 100));
}

/**
 * Read-merge-write of a JSON record without lost updates: reads the key, computes the new value
 * from the decoded one (undefined when missing), and writes it only if the key still holds what
 * was read (compare-and-set, atomic in the store); on a lost race it reads again. A stored value
 * that does not decode is never overwritten: its SwarmDataError is thrown. `change` may throw
 * (NOT_FOUND, ...) to refuse the update.
 */
export async function updateRecord<T>(
  ctx: SwarmContext,
  key: string,
  reader: RecordReader<T>,
  model: Model<T, string>,
  change: (current: T | undefined) => T,
): Promise<T> {
  for (let attempt = 0; attempt <= ctx.options.maxCasRetries; attempt++) {
    const stored = await ctx.store.read(key);
    const d = decodeStored(key, stored, reader);
    if (!d.ok && d.error) throw d.error;
    const next = model.validate(change(d.ok ? d.value : undefined));
    if (!next.ok) throw new ValidationError(model.name, next.error.issues);
    if (await ctx.store.compareAndSet(key, stored, model.encode(next.value), model.ttlSeconds)) return next.value;
    await casBackoff(attempt);
  }
  throw conflict(
    `${key} changed ${ctx.options.maxCasRetries + 1} times while this update was merging into it: too many writers at once; try again (or raise maxCasRetries)`,
  );
}
