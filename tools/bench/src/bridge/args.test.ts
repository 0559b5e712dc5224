import { describe, expect, it } from 'vitest';
import { UsageError } from '../args';
import { parseBridgeArgs } from '../bridge';

describe('parseBridgeArgs', () => {
  it('defaults: a 20 s target phase at 1,000/s, a 10 s capacity phase at 10 events per transaction', () => {
    expect(parseBridgeArgs([])).toMatchObject({ seconds: 20, rate: 1000, capacitySeconds: 10, rowsPerTx: 10, writers: 8, modules: 4, batchSize: 500, pad: 200 });
  });

  it('runs PostgreSQL at its production defaults unless --fast-pg', () => {
    expect(parseBridgeArgs([])).toMatchObject({ pg: 'production' });
    expect(parseBridgeArgs(['--fast-pg'])).toMatchObject({ pg: 'fast' });
    expect(() => parseBridgeArgs(['--fast-pg', 'yes'])).toThrow(UsageError);
  });

  it('takes --seconds 60 and the rest; --capacity-seconds 0 skips the phase', () => {
    expect(parseBridgeArgs(['--seconds', '60', '--rate', '2000', '--capacity-seconds', '0', '--writers', '4', '--out', 'x.json'])).toMatchObject({
      seconds: 60,
      rate: 2000,
      capacitySeconds: 0,
      writers: 4,
      out: expect.stringMatching(/x\.json$/),
    });
    expect(parseBridgeArgs(['--help'])).toBe('help');
  });

  it('refuses what it does not know', () => {
    expect(() => parseBridgeArgs(['--nope'])).toThrow(UsageError);
    expect(() => parseBridgeArgs(['--rate', 'fast'])).toThrow(UsageError);
  });
});

describe('PostgreSQL profiles', () => {
  it("production is PostgreSQL's own defaults; fast is the test harness settings", async () => {
    const { PG_PROFILES } = await import('./postgres');
    expect(PG_PROFILES.production).toEqual({ fsync: 'on', synchronous_commit: 'on', full_page_writes: 'on' });
    expect(PG_PROFILES.fast).toEqual({ fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' });
  });
});
