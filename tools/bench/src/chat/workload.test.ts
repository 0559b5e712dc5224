import { describe, expect, it } from 'vitest';
import { parseChatArgs } from '../chat';
import { expectedReceipts, makeUsers, membersPerChannel, messageText, nodeOf, ownerOf, parseMessageText, tokensFile } from './workload';

describe('chat bench workload', () => {
  it('spreads users over channels, each with its own token, in the hub token file format', () => {
    const users = makeUsers(5, 2);
    expect(users.map((u) => u.channel)).toEqual(['ch0', 'ch1', 'ch0', 'ch1', 'ch0']);
    expect(new Set(users.map((u) => u.token)).size).toBe(5);
    expect(users.every((u) => u.token.length >= 16)).toBe(true);
    expect([...membersPerChannel(users)]).toEqual([['ch0', 3], ['ch1', 2]]);
    expect(JSON.parse(tokensFile(users))[1]).toEqual({ token: users[1]!.token, id: 'c1', kind: 'agent', channels: ['ch1'] });
  });

  it('puts every channel on every node, and spreads users over the client processes', () => {
    const users = makeUsers(40, 4);
    for (const ch of ['ch0', 'ch1', 'ch2', 'ch3']) {
      const nodes = users.filter((u) => u.channel === ch).map((u) => nodeOf(u, 4, 2));
      expect(nodes.filter((n) => n === 0).length).toBe(5);
      expect(nodes.filter((n) => n === 1).length).toBe(5);
    }
    expect(users.every((u) => nodeOf(u, 4, 1) === 0)).toBe(true);
    expect(users.filter((u) => ownerOf(u, 3) === 2).length).toBe(13);
  });

  it('splits the expected receipts over the client processes: together, every member of every message', () => {
    const users = makeUsers(10, 3);
    const members = membersPerChannel(users);
    const offset = 7;
    const count = 25;
    let total = 0;
    for (let i = 0; i < count; i++) total += members.get(users[(offset + i) % users.length]!.channel)!;
    expect(expectedReceipts(users, offset, count, 3, 0) + expectedReceipts(users, offset, count, 3, 1) + expectedReceipts(users, offset, count, 3, 2)).toBe(total);
    expect(expectedReceipts(users, offset, count, 1, 0)).toBe(total);
  });

  it('carries the phase and the wall-clock send time in the text', () => {
    const m = parseMessageText(messageText(3, 'xx', 1_700_000_000_123.456));
    expect(m).toEqual({ phase: 3, t: 1_700_000_000_123.456 });
    expect(parseMessageText(messageText(1, ''))!.t).toBeGreaterThan(1_600_000_000_000);
    expect(parseMessageText('hello')).toBeUndefined();
    expect(parseMessageText('b|1')).toBeUndefined();
  });

  it('parses its options, and the socket.io server role', () => {
    expect(parseChatArgs(['--help'])).toBe('help');
    expect(parseChatArgs([])).toMatchObject({ repeats: 5, nodes: [1, 2], clientProcs: 2, levels: [250, 500, 1000], seconds: 2, pacedSeconds: 2 });
    expect(parseChatArgs(['--clients', '100', '--channels', '5', '--levels', '10,20', '--nodes', '2', '--repeats', '7', '--client-procs', '3'])).toMatchObject({
      clients: 100,
      channels: 5,
      levels: [10, 20],
      nodes: [2],
      repeats: 7,
      clientProcs: 3,
    });
    expect(parseChatArgs(['--serve-socketio', '4567', '--redis-url', 'redis://x', '--tokens-file', 'f'])).toEqual({
      serve: { port: 4567, redisUrl: 'redis://x', tokensFile: 'f' },
    });
    expect(() => parseChatArgs(['--serve-socketio', '1'])).toThrow(/needs --redis-url/);
    expect(() => parseChatArgs(['--channels', '10', '--clients', '5'])).toThrow(/must not exceed/);
    expect(() => parseChatArgs(['--nope'])).toThrow();
  });
});
