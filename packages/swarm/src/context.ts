import { ContextHashCodec, ContextModel, type Context } from '@agentbus/schema';
import { mergeContext } from './context-merge';
import { notFound } from './errors';
import { contextPatchSchema, type ContextPatch } from './inputs';
import { parseInput } from './internal/parse';
import { decodeOrThrow, type RecordReader } from './internal/records';
import type { SwarmContext } from './internal/swarm-context';
import { updateRecord } from './internal/update-record';

/** Contexts are JSON strings; older Python agents kept them as hashes, which are read (and converted on the next share). */
const CONTEXT_READER: RecordReader<Context> = { what: 'context', expected: 'string', string: ContextModel, hash: ContextHashCodec };

/** Notes and data agents share while they work on the same thing: `context:{scope}:{name}`. */
export interface SwarmContexts {
  /**
   * Merges into the context (creating it): notes and timeline appended, topics added once,
   * shared_data merged key by key, updated_at set. Concurrent shares all land (compare-and-set).
   */
  shareContext(scope: string, name: string, patch: ContextPatch): Promise<Context>;
  getContext(scope: string, name: string): Promise<Context>;
}

export function createSwarmContexts(ctx: SwarmContext): SwarmContexts {
  return {
    async shareContext(scope, name, patch) {
      const key = ctx.keys.context(scope, name);
      const p = parseInput(contextPatchSchema, patch, 'context patch');
      return updateRecord(ctx, key, CONTEXT_READER, ContextModel, (current) => mergeContext(current, p, scope, name, ctx.isoNow()));
    },
    async getContext(scope, name) {
      const key = ctx.keys.context(scope, name);
      return decodeOrThrow(key, await ctx.store.read(key), CONTEXT_READER, () =>
        notFound(`context ${scope}/${name} not found (${key}): shareContext creates it; contexts expire ${ContextModel.ttlSeconds} s after their last share`),
      );
    },
  };
}
