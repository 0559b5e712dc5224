import { describe, expect, it } from 'vitest';
import { summarize } from '../stats';
import { stepJson, stepsOf, summarizeStep, type RepeatRun } from './aggregate';
import { mergePhase } from './clients';
import { processCpuMs } from './cpu';
import type { PhaseResult } from './workload';

const phase = (rate: number, p50: number, p99: number, keptUp = true): PhaseResult => ({
  rate,
  seconds: 2,
  sent: rate * 2,
  expected: 100,
  delivered: keptUp ? 100 : 50,
  deliveredPerS: keptUp ? 1000 : 500,
  latency: { count: 100, min: 0.1, mean: p50, p50, p95: p99, p99, max: p99 },
  negative: 0,
  keptUp,
  cpu: { clients: 50, servers: 40, redis: 10 },
  cpuUsPerDelivery: { clients: 10, servers: 8, redis: 2 },
});

/** Repeat r: ours p99 `o[r]`, socketio p99 `s[r]` at every step. */
function repeats(o: number[], s: number[]): RepeatRun[] {
  return o.map((op99, r) => ({
    repeat: r,
    order: r % 2 ? ['socketio', 'ours'] : ['ours', 'socketio'],
    results: {
      ours: { paced: phase(100, 1, op99), levels: [phase(250, 1, op99), phase(1000, 2, op99 * 2)] },
      socketio: { paced: phase(100, 1, s[r]!), levels: [phase(250, 1, s[r]!), phase(1000, 2, s[r]! * 10, r !== 0)] },
    },
  }));
}

describe('chat aggregate', () => {
  const runs = repeats([5, 6, 5, 7, 6], [4, 5, 4, 5, 6]);

  it('has every step: the paced phase, then each level rising', () => {
    expect(stepsOf(runs)).toEqual([
      { step: 'paced', rate: 100 },
      { step: 'load', rate: 250 },
      { step: 'load', rate: 1000 },
    ]);
  });

  it('pairs the repeats: socketio p99 / ours p99 per repeat, with spread and who is ahead at each level', () => {
    const low = summarizeStep(runs, { step: 'load', rate: 250 });
    expect(low.ratio_p99).toMatchObject({ n: 5, max: 1 });
    expect(low.ratio_p99!.min).toBeCloseTo(5 / 7);
    expect(low.ratio_p99!.median).toBeCloseTo(0.8); // 4/5, 5/6, 4/5, 5/7, 6/6 -> median 0.8
    expect(low.ahead).toBe('socketio');
    expect(low.ahead_p50).toBe('even'); // p50 1 ms on both sides
    const high = summarizeStep(runs, { step: 'load', rate: 1000 });
    expect(high.ratio_p99!.median).toBeCloseTo(4); // socketio 10x, ours 2x
    expect(high.ahead).toBe('ours');
    expect(high.socketio).toMatchObject({ repeats: 5, kept_up: 4 });
    expect(high.ratio_delivered!.max).toBe(2);
    expect(stepJson(high)).toMatchObject({ step: '1000 msg/s', socketio: { kept_up: '4/5', cpu_us_per_delivery: { servers: { median: 8 } } }, ahead: 'ours' });
  });

  it('ratios need both contenders in a repeat; a contender alone still gets its figures', () => {
    const alone: RepeatRun[] = [{ repeat: 0, order: ['ours'], results: { ours: { paced: phase(100, 1, 5), levels: [] } } }];
    const s = summarizeStep(alone, { step: 'paced', rate: 100 });
    expect(s.ratio_p99).toBeNull();
    expect(s.ahead).toBeNull();
    expect(s.ours?.p99_ms?.median).toBe(5);
    expect(s.socketio).toBeNull();
  });
});

describe('mergePhase', () => {
  it('adds the client processes shares: counts, samples, CPU; negatives counted', () => {
    const r = mergePhase(
      { rate: 100, seconds: 1 },
      [
        { sent: 50, expected: 100, delivered: 100, samples: Float64Array.from([1, 2, -0.1]), lastReceiptAt: 1500, cpuUs: 200_000 },
        { sent: 50, expected: 100, delivered: 99, samples: Float64Array.from([3, 4]), lastReceiptAt: 2000, cpuUs: 300_000 },
      ],
      1000,
      1000,
      { servers: 30, redis: null },
    );
    expect(r).toMatchObject({ sent: 100, expected: 200, delivered: 199, negative: 1, keptUp: true, deliveredPerS: 199, cpu: { clients: 50, servers: 30, redis: null } });
    // 500 ms of client CPU and 300 ms of server CPU over 199 deliveries.
    expect(r.cpuUsPerDelivery.clients).toBeCloseTo(500_000 / 199);
    expect(r.cpuUsPerDelivery.servers).toBeCloseTo(300_000 / 199);
    expect(r.cpuUsPerDelivery.redis).toBeNull();
    expect(r.latency).toEqual(summarize([1, 2, -0.1, 3, 4]));
  });
});

describe('processCpuMs', () => {
  it('reads utime + stime after the command name, whatever it holds', () => {
    const stat = '1234 (node (x) y) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 11 0 100 0 0';
    expect(processCpuMs(1234, () => stat)).toBe(3000);
    expect(processCpuMs(1, () => { throw new Error('gone'); })).toBeNull();
  });
});
