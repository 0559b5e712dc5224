import { describe, expect, it } from 'vitest';
import { buildResult, parseChatArgs } from '../chat';
import { makeUsers, membersPerChannel, messageText, parseMessageText, tokensFile, type PhaseResult } from './workload';

const phase = (rate: number, p99: number, keptUp: boolean, deliveredPerS: number): PhaseResult => ({
  rate,
  seconds: 3,
  sent: rate * 3,
  expected: rate * 3 * 50,
  delivered: keptUp ? rate * 3 * 50 : rate,
  deliveredPerS,
  latency: { count: 1, min: 1, mean: p99 / 2, p50: p99 / 2, p95: p99, p99, max: p99 },
  keptUp,
});

describe('chat bench workload', () => {
  it('spreads users over channels, each with its own token, in the hub token file format', () => {
    const users = makeUsers(5, 2);
    expect(users.map((u) => u.channel)).toEqual(['ch0', 'ch1', 'ch0', 'ch1', 'ch0']);
    expect(new Set(users.map((u) => u.token)).size).toBe(5);
    expect(users.every((u) => u.token.length >= 16)).toBe(true);
    expect([...membersPerChannel(users)]).toEqual([['ch0', 3], ['ch1', 2]]);
    expect(JSON.parse(tokensFile(users))[1]).toEqual({ token: users[1]!.token, id: 'c1', kind: 'agent', channels: ['ch1'] });
  });

  it('carries the phase and send time in the text', () => {
    const m = parseMessageText(messageText(3, 'xx'));
    expect(m?.phase).toBe(3);
    expect(m?.t).toBeGreaterThan(0);
    expect(parseMessageText('hello')).toBeUndefined();
    expect(parseMessageText('b|1')).toBeUndefined();
  });

  it('parses its options, and the socket.io server role', () => {
    expect(parseChatArgs(['--help'])).toBe('help');
    expect(parseChatArgs(['--clients', '100', '--channels', '5', '--levels', '10,20'])).toMatchObject({ clients: 100, channels: 5, levels: [10, 20] });
    expect(parseChatArgs(['--serve-socketio', '4567', '--redis-url', 'redis://x', '--tokens-file', 'f'])).toEqual({
      serve: { port: 4567, redisUrl: 'redis://x', tokensFile: 'f' },
    });
    expect(() => parseChatArgs(['--serve-socketio', '1'])).toThrow(/needs --redis-url/);
    expect(() => parseChatArgs(['--channels', '10', '--clients', '5'])).toThrow(/must not exceed/);
    expect(() => parseChatArgs(['--nope'])).toThrow();
  });

  it('compares p99 at the highest shared load when both kept up, else delivered/s', () => {
    const cfg = parseChatArgs([]) as Exclude<ReturnType<typeof parseChatArgs>, 'help' | { serve: unknown }>;
    const report = (levels: PhaseResult[]) => ({ available: true, label: 'x', levels, errors: [], paced: phase(100, 5, true, 5000) });
    const both = buildResult(
      cfg,
      new Map([
        ['ours', report([phase(500, 10, true, 25_000), phase(1000, 20, true, 50_000)])],
        ['socketio', report([phase(500, 8, true, 25_000), phase(1000, 40, true, 49_000)])],
      ]),
      '7.0.15',
      30,
    );
    expect(both).toMatchObject({ ratio_vs_socketio: 2, p99_ms: 20, socketio_p99_ms: 40, delivered_per_s: 50_000, offered_per_s: 1000 });
    expect(both.targets.ratio_vs_socketio.pass).toBe(true);
    const behind = buildResult(
      cfg,
      new Map([
        ['ours', report([phase(1000, 20, true, 50_000)])],
        ['socketio', report([phase(1000, 2000, false, 25_000)])],
      ]),
      null,
      30,
    );
    expect(behind.ratio_vs_socketio).toBe(2);
    expect(behind.ratio_basis).toMatch(/delivered/);
    const alone = buildResult(cfg, new Map([['ours', report([phase(250, 3, true, 12_000)])]]), null, 10);
    expect(alone.ratio_vs_socketio).toBeNull();
    expect(alone.targets.ratio_vs_socketio.pass).toBeNull();
  });
});
