import { describe, expect, it } from 'vitest';
import { jsonDepthExceeds } from './json-body';
import { redactAddresses } from './redact';
import { findIllFormed } from './well-formed';

describe('the checks a body goes through before anything recurses into it', () => {
  it('counts nesting outside strings only, escaped quotes included', () => {
    expect(jsonDepthExceeds('[[1]]', 2)).toBe(false);
    expect(jsonDepthExceeds('[[[1]]]', 2)).toBe(true);
    expect(jsonDepthExceeds('{"a":{"b":1}}', 2)).toBe(false);
    expect(jsonDepthExceeds(`{"s":"${'['.repeat(100)}"}`, 1)).toBe(false);
    expect(jsonDepthExceeds(`{"s":"\\"[[[["}`, 1)).toBe(false);
    expect(jsonDepthExceeds(`{"s":"\\\\",${'['.repeat(3)}`, 3)).toBe(true);
    // Siblings do not add up: depth is how deep, not how many.
    expect(jsonDepthExceeds(`[${'[],'.repeat(1_000)}[]]`, 2)).toBe(false);
  });

  it('finds the first lone surrogate in a value or a key, with its path', () => {
    expect(findIllFormed({ a: ['ok', '\ud83d\ude00', { b: 'x\ud800' }] })).toEqual({ path: 'a.2.b', key: false, unit: 0xd800 });
    expect(findIllFormed({ a: { ['\udc00']: 1 } })).toEqual({ path: 'a', key: true, unit: 0xdc00 });
    expect(findIllFormed('\ude00')).toEqual({ path: '', key: false, unit: 0xde00 });
    expect(findIllFormed({ fine: ['\ud83d\ude00', 1, null, true] })).toBeUndefined();
  });

  it('leaves no address of Redis in a message', () => {
    for (const [text, shown] of [
      ['lost the connection to Redis at 10.0.0.7:6379 (connect ECONNREFUSED 10.0.0.7:6379)', 'lost the connection to Redis (connect ECONNREFUSED <address>)'],
      ['Redis at redis:6379 did not answer', 'Redis did not answer'],
      ['getaddrinfo ENOTFOUND redis.internal', 'getaddrinfo ENOTFOUND'],
      ['bad URL redis://user:secret@cache.example.com:6380/2', 'bad URL redis://<redacted>'],
      ['connect to [::1]:6379 and cache.example.com:6380', 'connect to <address> and <address>'],
      ['Redis Cluster a:1,b:2 is down', 'Redis is down'],
      ['topic orders holds 5 entries, at its budget of 2 (maxBacklog)', 'topic orders holds 5 entries, at its budget of 2 (maxBacklog)'],
    ] as const) {
      expect(redactAddresses(text)).toBe(shown);
    }
  });
});
