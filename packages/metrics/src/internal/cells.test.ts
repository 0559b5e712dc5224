import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { sampleValue } from '../../test/support/prom-text';
import { CellCounter } from './cell-counter';
import { CellHistogram } from './cell-histogram';

describe('CellHistogram', () => {
  it('counts a value equal to a bound in that bucket (le is inclusive), above the last in +Inf', async () => {
    const registry = new Registry();
    const h = new CellHistogram({ name: 'h_seconds', help: 'h', labelNames: ['topic'], buckets: [0.1, 1], registers: [registry] });
    const c = h.cell('a');
    for (const v of [0.05, 0.1, 0.5, 1, 7]) c.observe(v);
    const text = await registry.metrics();
    expect(sampleValue(text, 'h_seconds_bucket', { topic: 'a', le: '0.1' })).toBe(2);
    expect(sampleValue(text, 'h_seconds_bucket', { topic: 'a', le: '1' })).toBe(4);
    expect(sampleValue(text, 'h_seconds_bucket', { topic: 'a', le: '+Inf' })).toBe(5);
    expect(sampleValue(text, 'h_seconds_count', { topic: 'a' })).toBe(5);
    expect(sampleValue(text, 'h_seconds_sum', { topic: 'a' })).toBeCloseTo(8.65);
    expect(h.cell('a')).toBe(c);
  });

  it('merges direct observe() calls, reports through get() too, and reset() zeroes the cells it keeps', async () => {
    const registry = new Registry();
    const h = new CellHistogram({ name: 'm_seconds', help: 'h', labelNames: ['topic'], buckets: [1], registers: [registry] });
    h.cell('cell').observe(0.5);
    h.cell('untouched');
    h.observe({ topic: 'direct' }, 2);
    const json = await h.get();
    const counts = json.values.filter((v) => v.metricName === 'm_seconds_count').map((v) => [v.labels.topic, v.value]);
    expect(counts).toEqual(expect.arrayContaining([['cell', 1], ['direct', 1]]));
    expect(counts).toHaveLength(2);
    registry.resetMetrics();
    expect(sampleValue(await registry.metrics(), 'm_seconds_count', { topic: 'cell' })).toBeUndefined();
    h.cell('cell').observe(3);
    expect(sampleValue(await registry.metrics(), 'm_seconds_bucket', { topic: 'cell', le: '+Inf' })).toBe(1);
  });

  it('refuses a histogram without labels (prom-client keeps its own series for it)', () => {
    expect(() => new CellHistogram({ name: 'x', help: 'x', labelNames: [], buckets: [1], registers: [] })).toThrow(/needs at least one label/);
  });
});

describe('CellCounter', () => {
  it('adds what the cells counted since the last scrape, beside direct inc()', async () => {
    const registry = new Registry();
    const c = new CellCounter({ name: 'c_total', help: 'c', labelNames: ['topic'], registers: [registry] });
    const a = c.cell('a');
    a.n += 3;
    c.inc({ topic: 'a' }, 1);
    expect(sampleValue(await registry.metrics(), 'c_total', { topic: 'a' })).toBe(4);
    expect(sampleValue(await registry.metrics(), 'c_total', { topic: 'a' })).toBe(4);
    a.n += 2;
    expect(sampleValue(await registry.metrics(), 'c_total', { topic: 'a' })).toBe(6);
    expect(c.cell('a')).toBe(a);
    // After a reset the counter starts again from what comes next.
    registry.resetMetrics();
    a.n += 1;
    expect(sampleValue(await registry.metrics(), 'c_total', { topic: 'a' })).toBe(1);
  });
});
