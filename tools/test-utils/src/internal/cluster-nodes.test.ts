import { describe, expect, it } from 'vitest';
import { formatClusterNodes, nodeUrl, parseClusterNodes } from './cluster-nodes';

describe('cluster node lists', () => {
  it('round-trips host:port lists, IPv6 in brackets', () => {
    const text = '127.0.0.1:7000,[::1]:7001,redis-3:7002';
    const nodes = parseClusterNodes(` ${text.replaceAll(',', ' , ')} ,`);
    expect(nodes).toEqual([
      { host: '127.0.0.1', port: 7000 },
      { host: '::1', port: 7001 },
      { host: 'redis-3', port: 7002 },
    ]);
    expect(formatClusterNodes(nodes)).toBe(text);
    expect(nodes.map(nodeUrl)).toEqual(['redis://127.0.0.1:7000', 'redis://[::1]:7001', 'redis://redis-3:7002']);
  });

  it('rejects entries without a port', () => {
    expect(() => parseClusterNodes('127.0.0.1:7000,redis-2')).toThrow('invalid cluster node "redis-2": expected host:port');
  });
});
