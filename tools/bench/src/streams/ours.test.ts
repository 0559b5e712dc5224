import { describe, expect, it } from 'vitest';
import { consumeOptionsOf, GROUP } from './ours';

describe('consumeOptionsOf', () => {
  const sizes = { concurrency: 100, prefetch: 1000 };

  it('ours keeps the transport lease defaults: no leaseRenewMs, no claimIdleMs', () => {
    const o = consumeOptionsOf('plain', sizes);
    expect(o).toEqual({ group: GROUP, consumer: 'bench-1', concurrency: 100, prefetch: 1000 });
    expect('leaseRenewMs' in o).toBe(false);
    expect('claimIdleMs' in o).toBe(false);
  });

  it('ours-nolease is the same options plus leaseRenewMs: 0, and only that', () => {
    expect(consumeOptionsOf('nolease', sizes)).toEqual({ ...consumeOptionsOf('plain', sizes), leaseRenewMs: 0 });
  });

  it('the metrics and reliability variants keep leases on like ours', () => {
    expect(consumeOptionsOf('metrics', sizes)).toEqual(consumeOptionsOf('plain', sizes));
    expect(consumeOptionsOf('reliability', sizes)).toEqual(consumeOptionsOf('plain', sizes));
  });
});
