import { describe, expect, it } from 'vitest';
import { waitUntil } from './wait-until';

describe('waitUntil', () => {
  it('polls until the probe holds', async () => {
    let calls = 0;
    // The bound only has to outlast a stall: the wait ends on the third call.
    await waitUntil('three calls', () => ++calls >= 3, { timeoutMs: 10_000, intervalMs: 1 });
    expect(calls).toBe(3);
  });

  it('times out naming what it waited for', async () => {
    await expect(waitUntil('godot', async () => false, { timeoutMs: 30, intervalMs: 5 })).rejects.toThrow(
      'timed out after 30 ms waiting for godot',
    );
  });

  it('stops as soon as the check throws', async () => {
    await expect(
      waitUntil('never', () => false, {
        timeoutMs: 10_000,
        check: () => {
          throw new Error('server died');
        },
      }),
    ).rejects.toThrow('server died');
  });
});
