import { describe, expect, it } from 'vitest';
import { assertTopic, createKeyBuilder, DEFAULT_NAMESPACE } from './keys';

describe('createKeyBuilder', () => {
  const keys = createKeyBuilder();

  it('puts every key of a topic in one hash slot via the {ns:topic} tag', () => {
    expect(keys.namespace).toBe(DEFAULT_NAMESPACE);
    expect(keys.topic('orders', 'stream')).toBe('{agentbus:orders}:stream');
    expect(keys.topic('orders', 'dlq')).toBe('{agentbus:orders}:dlq');
    expect(keys.lane('orders', 'normal')).toBe('{agentbus:orders}:stream');
    expect(keys.lane('orders', 'urgent')).toBe('{agentbus:orders}:stream:urgent');
    expect(keys.dedupe('orders', 'abc')).toBe('{agentbus:orders}:dedupe:abc');
    expect(keys.group('orders', 'billing', 'inbox')).toBe('{agentbus:orders}:group:billing:inbox');
    expect(() => keys.group('orders', 'a b', 'delayed')).toThrow(/invalid group/);
  });

  it('gives each partition its own tag so partitions spread over cluster nodes', () => {
    const p = keys.partition('orders', 3);
    expect(p).toBe('orders.3');
    expect(keys.topic(p, 'stream')).toBe('{agentbus:orders.3}:stream');
    expect(() => keys.partition('orders', -1)).toThrow(/partition index/);
  });

  it('keeps the Python agents key shapes under the namespace', () => {
    expect(keys.task('t1')).toBe('agentbus:task:t1');
    expect(keys.finding('f1')).toBe('agentbus:finding:f1');
    expect(keys.context('proj', 'notes')).toBe('agentbus:context:proj:notes');
    expect(keys.session('p', '2026-11-23', 'am')).toBe('agentbus:session:p:2026-11-23:am');
    expect(keys.swarmRegistry('s1')).toBe('agentbus:swarm:registry:s1');
    expect(keys.remediation('2026-11-23', 'ttl')).toBe('agentbus:swarm:remediation:2026-11-23:ttl');
    expect(keys.channel('chat')).toBe('agentbus:pubsub:chat');
    expect(keys.channelPattern('chat.*')).toBe('agentbus:pubsub:chat.*');
    expect(keys.key('a', 'b')).toBe('agentbus:a:b');
    expect(keys.all()).toBe('agentbus:*');
  });

  it('writes bare keys with an empty namespace, shared with unprefixed agents', () => {
    const bare = createKeyBuilder('');
    expect(bare.task('t1')).toBe('task:t1');
    expect(bare.topic('orders', 'stream')).toBe('{orders}:stream');
    expect(bare.all()).toBe('*');
  });

  it('refuses names that would break the key layout, naming the setting', () => {
    expect(() => createKeyBuilder('a b')).toThrow(/REDIS_NAMESPACE/);
    expect(() => keys.topic('a{b}', 'stream')).toThrow(/invalid topic/);
    expect(() => keys.topic('', 'stream')).toThrow(/invalid topic/);
    expect(() => keys.task('has space')).toThrow(/task id/);
    expect(() => assertTopic('x'.repeat(201))).toThrow(/1-200/);
    expect(() => assertTopic('ok.topic-1/a:b')).not.toThrow();
  });
});
