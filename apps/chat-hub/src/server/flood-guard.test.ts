import { describe, expect, it } from 'vitest';
import { createFloodGuard } from './flood-guard';

describe('flood guard', () => {
  it('allows a burst, then drops, notifying at most once a second, and closes a flood that never stops', () => {
    let now = 0;
    const g = createFloodGuard({ capacity: 3, refillPerSecond: 2, closeAfterDropped: 5 }, () => now);
    expect([g.check(), g.check(), g.check()]).toEqual(['ok', 'ok', 'ok']);
    expect(g.check()).toBe('notify');
    expect(g.retryAfterMs()).toBe(500);
    expect(g.check()).toBe('drop');
    now = 500;
    expect(g.check()).toBe('ok');
    expect(g.check()).toBe('drop');
    expect(g.check()).toBe('drop');
    now = 1100;
    expect(g.check()).toBe('ok');
    expect(g.check()).toBe('close');
  });

  it('forgets drops after a quiet spell', () => {
    let now = 0;
    const g = createFloodGuard({ capacity: 2, refillPerSecond: 2, closeAfterDropped: 3 }, () => now);
    g.check();
    g.check();
    expect(g.check()).toBe('notify');
    expect(g.check()).toBe('drop');
    now = 10_000;
    expect(g.check()).toBe('ok');
    now = 10_001;
    g.check();
    expect(g.check()).not.toBe('close');
  });
});
