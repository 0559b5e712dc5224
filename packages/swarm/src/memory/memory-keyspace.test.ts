import { describe, expect, it } from 'vitest';
import { createMemoryKeyspace, WrongTypeError } from './memory-keyspace';

describe('memory keyspace', () => {
  it('expires keys on its clock like Redis (TTL, EXPIRE 0 deletes, PERSIST)', () => {
    let now = 1_000;
    const ks = createMemoryKeyspace(() => now);
    ks.set('a', '1', 10);
    expect(ks.ttl('a')).toBe(10);
    now += 10_000;
    expect(ks.get('a')).toBe('1');
    now += 1;
    expect(ks.type('a')).toBe('none');
    expect(ks.ttl('a')).toBe(-2);
    ks.set('b', '1');
    expect(ks.ttl('b')).toBe(-1);
    ks.expire('b', 5);
    ks.persist('b');
    expect(ks.ttl('b')).toBe(-1);
    expect(ks.expire('b', 0)).toBe(true);
    expect(ks.exists('b')).toBe(false);
    expect(ks.expire('missing', 5)).toBe(false);
  });

  it('raises WRONGTYPE across types and drops emptied hashes and sorted sets', () => {
    const ks = createMemoryKeyspace();
    ks.rpush('l', ['x']);
    expect(() => ks.hset('l', { a: '1' })).toThrow(WrongTypeError);
    expect(() => ks.get('l')).toThrow(/WRONGTYPE/);
    ks.hset('h', { a: '1' });
    ks.hdel('h', ['a']);
    ks.hdel('nothing', ['a']);
    expect(ks.type('h')).toBe('none');
    ks.zadd('z', 1, 'm');
    ks.zrem('z', ['m']);
    ks.zrem('nothing', ['m']);
    expect(ks.exists('z')).toBe(false);
  });

  it('orders sorted sets by score then member, ZADD NX keeps the score', () => {
    const ks = createMemoryKeyspace();
    ks.zadd('z', 2, 'b');
    ks.zadd('z', 2, 'a');
    ks.zadd('z', 1, 'c');
    expect(ks.zadd('z', 0, 'c', true)).toBe(0);
    expect(ks.zrange('z', 0, 10)).toEqual(['c', 'a', 'b']);
    expect(ks.zrange('z', 1, 1)).toEqual(['a']);
    expect(ks.zrange('none', 0, 10)).toEqual([]);
  });

  it('renames and matches glob patterns', () => {
    const ks = createMemoryKeyspace();
    ks.set('ns:task:1', 'x');
    ks.set('ns:task:22', 'x');
    ks.set('other', 'x');
    expect(ks.keys('ns:task:?').sort()).toEqual(['ns:task:1']);
    expect(ks.keys('ns:*').sort()).toEqual(['ns:task:1', 'ns:task:22']);
    ks.rename('ns:task:1', 'moved.(1)');
    expect(ks.keys('moved.(1)')).toEqual(['moved.(1)']);
    expect(() => ks.rename('missing', 'x')).toThrow(/no such key/);
  });
});
