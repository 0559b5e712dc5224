import { describe, expect, it } from 'vitest';
import { createProgressBar } from './progress-bar';

describe('createProgressBar', () => {
  it('draws on a terminal, throttled, and ends the line', () => {
    let out = '';
    let t = 0;
    const bar = createProgressBar({ write: (s: string) => (out += s), isTTY: true, columns: 60 }, 'replaying', { minIntervalMs: 100, now: () => t });
    bar.update(1, 4);
    t = 50;
    bar.update(2, 4); // throttled
    t = 200;
    bar.update(3, 4);
    bar.update(4, 4); // the last state is always drawn
    bar.finish();
    const frames = out.split('\r').filter(Boolean);
    expect(frames).toHaveLength(4);
    expect(frames[0]).toMatch(/^replaying \[#+-+\] 25% 1\/4$/);
    expect(frames[3]).toMatch(/^replaying \[#+\] 100% 4\/4\n$/);
  });

  it('stays silent when stderr is not a terminal, or nothing happened', () => {
    let out = '';
    const quiet = createProgressBar({ write: (s: string) => (out += s) }, 'x');
    quiet.update(1, 2);
    quiet.finish();
    createProgressBar({ write: (s: string) => (out += s), isTTY: true }, 'y').finish();
    expect(out).toBe('');
  });
});
