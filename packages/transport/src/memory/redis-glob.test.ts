import { describe, expect, it } from 'vitest';
import { redisGlobMatch } from './redis-glob';

describe('redisGlobMatch (PSUBSCRIBE patterns)', () => {
  it.each([
    ['chat.*', 'chat.room1', true],
    ['chat.*', 'chat.', true],
    ['chat.*', 'chat', false],
    ['chat.*', 'news.room1', false],
    ['*.room1', 'chat.room1', true],
    ['*a*b', 'xxaxxb', true],
    ['*a*b', 'xxaxxbx', false],
    ['a**b', 'ab', true],
    ['h?llo', 'hello', true],
    ['h?llo', 'hllo', false],
    ['h[ae]llo', 'hallo', true],
    ['h[ae]llo', 'hillo', false],
    ['h[^e]llo', 'hallo', true],
    ['h[^e]llo', 'hello', false],
    ['h[a-c]llo', 'hbllo', true],
    ['h[c-a]llo', 'hbllo', true],
    ['h[a-c]llo', 'hdllo', false],
    ['h\\*llo', 'h*llo', true],
    ['h\\*llo', 'hello', false],
    ['[\\]]', ']', true],
    ['[\\-]', '-', true],
    ['exact', 'exact', true],
    ['exact', 'exactly', false],
  ])('%s against %s is %s', (pattern, subject, expected) => {
    expect(redisGlobMatch(pattern, subject)).toBe(expected);
  });

  it('treats an unclosed class as ending at the pattern end, like Redis', () => {
    expect(redisGlobMatch('h[ab', 'ha')).toBe(true);
    expect(redisGlobMatch('h[ab', 'hab')).toBe(false);
  });

  it('matches bytes, so ? is one byte of a multi-byte character', () => {
    expect(redisGlobMatch('caf?', 'café')).toBe(false);
    expect(redisGlobMatch('caf??', 'café')).toBe(true);
    expect(redisGlobMatch('caf*', 'café')).toBe(true);
  });

  it('stays fast on patterns that would backtrack exponentially', () => {
    const started = Date.now();
    expect(redisGlobMatch('*a*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(60))).toBe(false);
    expect(Date.now() - started).toBeLessThan(500);
  });
});
