import { describe, expect, it } from 'vitest';
import { cachedRead } from './cached-read';

describe('cachedRead', () => {
  it('reads once per period, shares one read among concurrent callers', async () => {
    let now = 0;
    let reads = 0;
    const r = cachedRead(async () => ++reads, 1000, 500, () => undefined, () => now);
    expect(await Promise.all([r.get(), r.get(), r.get()])).toEqual([1, 1, 1]);
    now = 999;
    expect(await r.get()).toBe(1);
    now = 1000;
    expect(await r.get()).toBe(2);
  });

  it('serves the last good value, and reports, when a read fails or takes too long', async () => {
    const errors: string[] = [];
    let mode: 'ok' | 'fail' | 'slow' = 'ok';
    let release: (() => void) | undefined;
    const r = cachedRead(
      () => {
        if (mode === 'fail') return Promise.reject(new Error('redis down'));
        if (mode === 'slow') return new Promise<string>((resolve) => (release = () => resolve('late')));
        return Promise.resolve('fresh');
      },
      0,
      20,
      (e) => errors.push((e as Error).message),
    );
    expect(await r.get()).toBe('fresh');
    mode = 'fail';
    expect(await r.get()).toBe('fresh');
    mode = 'slow';
    expect(await r.get()).toBe('fresh');
    expect(errors[0]).toBe('redis down');
    expect(errors[1]).toMatch(/longer than 20 ms/);
    // The slow read is still the one in flight: a caller after it gets its value.
    const next = r.get();
    release!();
    expect(await next).toBe('late');
  });

  it('yields undefined when the very first read fails', async () => {
    const r = cachedRead(() => Promise.reject(new Error('no')), 1000, 100, () => undefined);
    expect(await r.get()).toBeUndefined();
  });
});
