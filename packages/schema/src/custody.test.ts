import { describe, expect, it } from 'vitest';
import { appendCustody, custodyHead, verifyCustody } from './custody';
import { createEnvelope, type Envelope } from './envelope';

function chain(): Envelope {
  let env = createEnvelope({ type: 'task_request', from: 'planner', payload: { job: 1 }, ts: 1000 });
  env = appendCustody(env, { agent: 'planner', action: 'publish', at: 1000 });
  env = appendCustody(env, { agent: 'broker', action: 'route', at: 1001 });
  env = appendCustody(env, { agent: 'worker-1', action: 'handle', at: 1002 });
  return env;
}

function brokenAt(env: Envelope): number | undefined {
  const r = verifyCustody(env);
  return r.ok ? undefined : r.error.hop;
}

describe('chain of custody', () => {
  it('an intact chain verifies, also with the head handed on', () => {
    const env = chain();
    expect(env.custody).toHaveLength(3);
    expect(verifyCustody(env, { expectedHead: custodyHead(env) }).ok).toBe(true);
    expect(verifyCustody(createEnvelope({ type: 't', from: 'a', payload: 1 })).ok).toBe(true);
  });

  it('detects an edited hop', () => {
    const env = chain();
    env.custody![1] = { ...env.custody![1]!, agent: 'mallory' };
    expect(brokenAt(env)).toBe(2);
  });

  it('detects a removed hop in the middle and at the start', () => {
    const env = chain();
    expect(brokenAt({ ...env, custody: [env.custody![0]!, env.custody![2]!] })).toBe(1);
    expect(brokenAt({ ...env, custody: env.custody!.slice(1) })).toBe(0);
  });

  it('detects reordered hops', () => {
    const env = chain();
    const [a, b, c] = env.custody!;
    expect(brokenAt({ ...env, custody: [a!, c!, b!] })).toBe(1);
  });

  it('detects hops cut off the end against the recorded head', () => {
    const env = chain();
    const head = custodyHead(env);
    const cut = { ...env, custody: env.custody!.slice(0, 2) };
    expect(verifyCustody(cut).ok).toBe(true);
    const r = verifyCustody(cut, { expectedHead: head });
    expect(!r.ok && r.error.code).toBe('CUSTODY_BROKEN');
  });

  it('detects content edited under the chain, and a chain moved to another envelope', () => {
    const env = chain();
    expect(brokenAt({ ...env, payload: { job: 2 } })).toBe(0);
    const other = createEnvelope({ type: 'task_request', from: 'planner', payload: { job: 1 }, ts: 1000 });
    expect(brokenAt({ ...other, custody: env.custody })).toBe(0);
  });

  it('detects a hop dated before the one it follows', () => {
    let env = createEnvelope({ type: 't', from: 'a', payload: 1 });
    env = appendCustody(env, { agent: 'a', action: 'x', at: 2000 });
    env = appendCustody(env, { agent: 'b', action: 'y', at: 1000 });
    const r = verifyCustody(env);
    expect(!r.ok && r.error.message).toMatch(/dated before/);
  });
});
