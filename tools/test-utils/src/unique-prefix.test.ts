import { describe, expect, it } from 'vitest';
import { uniquePrefix } from './unique-prefix';

describe('uniquePrefix', () => {
  it('never repeats within a run', () => {
    const seen = new Set(Array.from({ length: 1000 }, () => uniquePrefix()));
    expect(seen.size).toBe(1000);
  });

  it('carries a readable slug of the name, and stays a valid key namespace', () => {
    const prefix = uniquePrefix('acks survive a crash / kill -9 {x}');
    expect(prefix).toMatch(/^t-[0-9a-f]{8}-\d+-acks-survive-a-crash-kill-9-x$/);
    expect(uniquePrefix('  ')).toMatch(/^t-[0-9a-f]{8}-\d+$/);
    const long = uniquePrefix('x'.repeat(500));
    expect(long.length).toBeLessThanOrEqual(100);
    // @agentbus/schema's namespace rule; not imported, so the harness depends on no package it tests.
    for (const p of [prefix, long]) expect(p).toMatch(/^[A-Za-z0-9._:-]{0,100}$/);
  });
});
