import { describe, expect, it } from 'vitest';
import { isRedisPresetName, REDIS_PRESETS, resolveRedisOptions } from './redis-presets';

describe('REDIS_PRESETS', () => {
  it('names the setups tests ask for', () => {
    expect(REDIS_PRESETS).toEqual({
      default: {},
      durable: { appendonly: true, appendfsync: 'always' },
      everysec: { appendonly: true, appendfsync: 'everysec' },
      tinyMemory: { maxmemory: '8mb', maxmemoryPolicy: 'noeviction' },
    });
    expect(Object.isFrozen(REDIS_PRESETS.durable)).toBe(true);
  });

  it('resolves names to a copy of their options and passes options through', () => {
    const durable = resolveRedisOptions('durable');
    expect(durable).toEqual(REDIS_PRESETS.durable);
    expect(durable).not.toBe(REDIS_PRESETS.durable);
    const options = { maxmemory: 1024 };
    expect(resolveRedisOptions(options)).toBe(options);
    expect(resolveRedisOptions()).toEqual({});
    expect(isRedisPresetName('toString')).toBe(false);
  });
});
