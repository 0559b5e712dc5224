import { describe, expect, it } from 'vitest';
import { DEFAULT_WORKER_OPTIONS, parseWorkerOptions } from './worker-options';

describe('parseWorkerOptions', () => {
  it('takes flags over environment over defaults', () => {
    const o = parseWorkerOptions(['--topic', 't', '--group', 'g', '--handler', 'h.mjs', '--concurrency', '3'], {
      WORKER_PORT: '0',
      REDIS_CONSUMER: 'c7',
      WORKER_CONCURRENCY: '99',
    });
    expect(o).toEqual({ topic: 't', group: 'g', consumer: 'c7', handler: 'h.mjs', concurrency: 3, port: 0, host: '127.0.0.1', stopDeadlineMs: DEFAULT_WORKER_OPTIONS.stopDeadlineMs });
    const fromEnv = parseWorkerOptions([], { WORKER_TOPIC: 'a', WORKER_GROUP: 'b', WORKER_HANDLER: 'c' });
    expect(fromEnv).toMatchObject({ topic: 'a', group: 'b', handler: 'c', concurrency: 8, port: 9464, consumer: undefined });
  });

  it('names the flag that is missing or wrong', () => {
    expect(() => parseWorkerOptions(['--group', 'g', '--handler', 'h'], {})).toThrow(/--topic is required/);
    expect(() => parseWorkerOptions(['--topic', 't', '--group', 'g', '--handler', 'h', '--concurrency', '0'], {})).toThrow(/--concurrency/);
    expect(() => parseWorkerOptions(['--topic', 't', '--group', 'g', '--handler', 'h', '--deadline', '-5'], {})).toThrow(/--deadline/);
    expect(() => parseWorkerOptions(['--nope'], {})).toThrow(/--help/);
  });

  it('answers --help', () => {
    expect(parseWorkerOptions(['--help'], {})).toBe('help');
  });
});
