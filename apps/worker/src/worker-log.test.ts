import { describe, expect, it } from 'vitest';
import { errorThrottle, jsonLog } from './worker-log';

describe('errorThrottle', () => {
  it('lets the first of each error through, holds back repeats within the window, then reports how many', () => {
    let t = 0;
    const due = errorThrottle(1000, () => t);
    expect(due('a')).toEqual({ due: true, repeats: 0 });
    expect(due('b')).toEqual({ due: true, repeats: 0 });
    t = 500;
    expect(due('a')).toEqual({ due: false, repeats: 0 });
    expect(due('a')).toEqual({ due: false, repeats: 0 });
    t = 1000;
    expect(due('a')).toEqual({ due: true, repeats: 2 });
    expect(due('b')).toEqual({ due: true, repeats: 0 });
  });

  it('forgets old errors once it holds many', () => {
    let t = 0;
    const due = errorThrottle(10, () => t);
    for (let i = 0; i < 1000; i++) due(`e${i}`);
    t = 20;
    expect(due('new')).toEqual({ due: true, repeats: 0 });
    // Forgotten: a repeat of an old one is due again without a count.
    expect(due('e1')).toEqual({ due: true, repeats: 0 });
  });
});

describe('jsonLog', () => {
  it('writes one JSON line with level, time, message and fields to stdout', () => {
    const written: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string) => written.push(chunk) > 0) as typeof process.stdout.write;
    try {
      jsonLog('error', 'redis connection lost', { target: 'Redis at h:1' });
      jsonLog('info', 'plain');
    } finally {
      process.stdout.write = write;
    }
    expect(written).toHaveLength(2);
    expect(JSON.parse(written[0]!)).toEqual({ level: 'error', time: expect.any(String), msg: 'redis connection lost', target: 'Redis at h:1' });
    expect(written[1]!.endsWith('\n')).toBe(true);
  });
});
