import type { RedisServerOptions } from './types';

/** Named server setups, so tests say what they need ('durable') rather than how. */
export const REDIS_PRESETS = Object.freeze({
  /** No persistence: fastest, data gone on kill. */
  default: Object.freeze({}),
  /** AOF fsynced on every write: nothing acknowledged is lost on kill -9 (the AOF alone gives that) nor on a machine crash. */
  durable: Object.freeze({ appendonly: true, appendfsync: 'always' }),
  /** AOF fsynced once a second: what most production setups run, up to ~1 s lost on a crash. */
  everysec: Object.freeze({ appendonly: true, appendfsync: 'everysec' }),
  /** 8 MB and writes refused when full: for OOM and backpressure tests. */
  tinyMemory: Object.freeze({ maxmemory: '8mb', maxmemoryPolicy: 'noeviction' }),
} satisfies Record<string, Readonly<RedisServerOptions>>);

export type RedisPresetName = keyof typeof REDIS_PRESETS;

export function isRedisPresetName(value: string): value is RedisPresetName {
  return Object.hasOwn(REDIS_PRESETS, value);
}

/** Options for a preset name, or the options themselves. */
export function resolveRedisOptions(options: RedisServerOptions | RedisPresetName = {}): RedisServerOptions {
  if (typeof options !== 'string') return options;
  if (!isRedisPresetName(options)) {
    throw new Error(`unknown Redis preset ${JSON.stringify(options)}: use one of ${Object.keys(REDIS_PRESETS).join(', ')}`);
  }
  return { ...REDIS_PRESETS[options] };
}
