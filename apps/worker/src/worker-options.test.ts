import { describe, expect, it } from 'vitest';
import { AgentbusError, ERROR_CODES } from '@agentbus/schema';
import { DEFAULT_WORKER_OPTIONS, parseDurationMs, parseWorkerOptions, resolveWorkerTuning, type WorkerOptions } from './worker-options';

const required = ['--topic', 't', '--group', 'g', '--handler', 'h.mjs'];

function parse(argv: readonly string[], env: NodeJS.ProcessEnv = {}): WorkerOptions {
  const o = parseWorkerOptions(argv, env);
  if (o === 'help') throw new Error('unexpected help');
  return o;
}

function errorOf(fn: () => unknown): AgentbusError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AgentbusError);
    expect((e as AgentbusError).code).toBe(ERROR_CODES.INVALID_ARGUMENT);
    return e as AgentbusError;
  }
  throw new Error('expected an error');
}

describe('parseWorkerOptions', () => {
  it('takes flags over environment over defaults', () => {
    const o = parse(['--topic', 't', '--group', 'g', '--handler', 'h.mjs', '--concurrency', '3'], {
      WORKER_PORT: '0',
      REDIS_CONSUMER: 'c7',
      WORKER_CONCURRENCY: '99',
    });
    expect(o).toMatchObject({ topic: 't', group: 'g', consumer: 'c7', handler: 'h.mjs', concurrency: 3, port: 0, host: '127.0.0.1', stopDeadlineMs: DEFAULT_WORKER_OPTIONS.stopDeadlineMs });
    const fromEnv = parse([], { WORKER_TOPIC: 'a', WORKER_GROUP: 'b', WORKER_HANDLER: 'c' });
    expect(fromEnv).toMatchObject({ topic: 'a', group: 'b', handler: 'c', concurrency: 8, port: 9464, consumer: undefined });
  });

  it('fills the recovery settings with the documented defaults', () => {
    expect(parse(required)).toEqual({
      topic: 't',
      group: 'g',
      consumer: undefined,
      handler: 'h.mjs',
      concurrency: 8,
      prefetch: 8,
      port: 9464,
      host: '127.0.0.1',
      stopDeadlineMs: 30_000,
      startDeadlineMs: 0,
      claimIdleMs: 15_000,
      claimIntervalMs: 5_000,
      leaseRenewMs: 5_000,
      handlerTimeoutMs: 0,
      reapIdleMs: 60_000,
      maxDeliveries: 5,
      retryDelaysMs: [5_000, 15_000, 60_000],
      maxAttempts: 4,
    });
  });

  it('reads every recovery setting from a flag, with units', () => {
    const o = parse([
      ...required,
      '--claim-idle', '1s',
      '--claim-interval', '250ms',
      '--lease-renew', '300',
      '--handler-timeout', '2m',
      '--reap-idle', '1h',
      '--max-deliveries', '3',
      '--retry-delays', '5s, 15s,1.5m',
      '--max-attempts', '6',
      '--prefetch', '0',
      '--start-deadline', '30s',
      '--deadline', '10s',
    ]);
    expect(o).toMatchObject({
      claimIdleMs: 1000,
      claimIntervalMs: 250,
      leaseRenewMs: 300,
      handlerTimeoutMs: 120_000,
      reapIdleMs: 3_600_000,
      maxDeliveries: 3,
      retryDelaysMs: [5000, 15_000, 90_000],
      maxAttempts: 6,
      prefetch: 0,
      startDeadlineMs: 30_000,
      stopDeadlineMs: 10_000,
    });
  });

  it('reads them from the environment too; a flag wins', () => {
    const env = {
      WORKER_CLAIM_IDLE: '2s',
      WORKER_CLAIM_INTERVAL: '500ms',
      WORKER_LEASE_RENEW: '400ms',
      WORKER_HANDLER_TIMEOUT: '10s',
      WORKER_REAP_IDLE: '0',
      WORKER_MAX_DELIVERIES: '9',
      WORKER_RETRY_DELAYS: '1s,2s',
      WORKER_MAX_ATTEMPTS: '2',
      WORKER_PREFETCH: '4',
      WORKER_START_DEADLINE: '1m',
      WORKER_DEADLINE: '5s',
    };
    expect(parse(required, env)).toMatchObject({
      claimIdleMs: 2000,
      claimIntervalMs: 500,
      leaseRenewMs: 400,
      handlerTimeoutMs: 10_000,
      reapIdleMs: 0,
      maxDeliveries: 9,
      retryDelaysMs: [1000, 2000],
      maxAttempts: 2,
      prefetch: 4,
      startDeadlineMs: 60_000,
      stopDeadlineMs: 5000,
    });
    expect(parse([...required, '--claim-idle', '3s', '--prefetch', '1'], env)).toMatchObject({ claimIdleMs: 3000, prefetch: 1 });
  });

  it('derives lease renewal, reap time, prefetch and attempts from what was given', () => {
    const o = parse([...required, '--claim-idle', '1s', '--concurrency', '3', '--retry-delays', '100ms']);
    expect(o).toMatchObject({ leaseRenewMs: 333, reapIdleMs: 4000, prefetch: 3, maxAttempts: 2 });
    expect(resolveWorkerTuning({ concurrency: 2, claimIdleMs: 900 })).toMatchObject({ leaseRenewMs: 300, reapIdleMs: 3600, prefetch: 2 });
  });

  it('chooses the consumer name: --consumer, WORKER_CONSUMER, REDIS_CONSUMER, then HOSTNAME inside Kubernetes', () => {
    expect(parse([...required, '--consumer', 'flag'], { WORKER_CONSUMER: 'w', REDIS_CONSUMER: 'r' }).consumer).toBe('flag');
    expect(parse(required, { WORKER_CONSUMER: 'w', REDIS_CONSUMER: 'r', HOSTNAME: 'pod-1', KUBERNETES_SERVICE_HOST: '10.0.0.1' }).consumer).toBe('w');
    expect(parse(required, { REDIS_CONSUMER: 'r', HOSTNAME: 'pod-1', KUBERNETES_SERVICE_HOST: '10.0.0.1' }).consumer).toBe('r');
    expect(parse(required, { HOSTNAME: 'pod-1', KUBERNETES_SERVICE_HOST: '10.0.0.1' }).consumer).toBe('pod-1');
    // Outside a pod HOSTNAME is the machine's: two workers on it would share a name.
    expect(parse(required, { HOSTNAME: 'laptop' }).consumer).toBeUndefined();
    expect(parse(required, { WORKER_CONSUMER: '' }).consumer).toBeUndefined();
  });

  it('names the flag that is missing or wrong', () => {
    expect(() => parseWorkerOptions(['--group', 'g', '--handler', 'h'], {})).toThrow(/--topic is required/);
    expect(() => parseWorkerOptions([...required, '--concurrency', '0'], {})).toThrow(/--concurrency/);
    expect(() => parseWorkerOptions([...required, '--deadline', '-5'], {})).toThrow(/--deadline/);
    expect(() => parseWorkerOptions(['--nope'], {})).toThrow(/--help/);
    expect(errorOf(() => parse([...required, '--claim-idle', 'soon'])).message).toBe(
      '--claim-idle must be a duration such as 500ms, 30s, 2m or 1h (a bare number is ms), got "soon"; see --help',
    );
    expect(errorOf(() => parse([...required, '--claim-idle', '0'])).message).toMatch(/^--claim-idle must be at least 1 ms, got "0"/);
    expect(errorOf(() => parse([...required, '--retry-delays', '5s,,1m'])).message).toMatch(/^--retry-delays must be a comma-separated list of durations/);
    expect(errorOf(() => parse([...required, '--max-deliveries', '1.5'])).message).toMatch(/^--max-deliveries must be an integer >= 1, got "1.5"/);
    expect(errorOf(() => parse([...required, '--max-attempts', 'x'])).message).toMatch(/^--max-attempts must be an integer >= 1/);
    expect(errorOf(() => parse([...required, '--port', '70000'])).message).toMatch(/^--port must be an integer from 0 to 65535/);
  });

  it('names the environment variable when the bad value came from there', () => {
    expect(errorOf(() => parse(required, { WORKER_CLAIM_IDLE: '1 fortnight' })).message).toMatch(/^WORKER_CLAIM_IDLE must be a duration/);
    expect(errorOf(() => parse(required, { WORKER_MAX_DELIVERIES: '0' })).message).toMatch(/^WORKER_MAX_DELIVERIES must be an integer >= 1, got "0"/);
    expect(errorOf(() => parse(required, { WORKER_RETRY_DELAYS: 'fast' })).message).toMatch(/^WORKER_RETRY_DELAYS must be a comma-separated list/);
    expect(errorOf(() => parse(required, { WORKER_PREFETCH: '-1' })).message).toMatch(/^WORKER_PREFETCH must be an integer >= 0/);
    expect(errorOf(() => parse(required, { WORKER_CONCURRENCY: 'lots' })).message).toMatch(/^WORKER_CONCURRENCY must be an integer/);
  });

  it('refuses a lease renewal that would let leases lapse, naming both settings', () => {
    expect(errorOf(() => parse([...required, '--claim-idle', '1s', '--lease-renew', '1s'])).message).toBe(
      '--lease-renew (1000 ms) must be below --claim-idle (1000 ms): a live consumer would lose entries it still holds; see --help',
    );
    expect(errorOf(() => parse(required, { WORKER_CLAIM_IDLE: '1s', WORKER_LEASE_RENEW: '2s' })).message).toMatch(
      /^WORKER_LEASE_RENEW \(2000 ms\) must be below WORKER_CLAIM_IDLE \(1000 ms\)/,
    );
    // 0 turns leases off: allowed.
    expect(parse([...required, '--lease-renew', '0']).leaseRenewMs).toBe(0);
  });

  it('answers --help', () => {
    expect(parseWorkerOptions(['--help'], {})).toBe('help');
  });
});

describe('parseDurationMs', () => {
  it('reads ms, s, m, h and bare numbers', () => {
    expect(parseDurationMs('250')).toBe(250);
    expect(parseDurationMs('250ms')).toBe(250);
    expect(parseDurationMs('1.5s')).toBe(1500);
    expect(parseDurationMs(' 2m ')).toBe(120_000);
    expect(parseDurationMs('1H')).toBe(3_600_000);
    expect(parseDurationMs('')).toBeUndefined();
    expect(parseDurationMs('1d')).toBeUndefined();
    expect(parseDurationMs('-1s')).toBeUndefined();
  });
});
