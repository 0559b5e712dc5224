import { afterEach, describe, expect, it } from 'vitest';
import { runDemo } from '../src/demo/demo';
import { startDemoBroker } from '../src/demo/embedded';
import { closeAll, opened, startBroker, token } from './helpers';

afterEach(closeAll);

describe('runDemo', () => {
  it('drives the swarm to completion against the embedded broker (memory backend, a token per agent)', async () => {
    const embedded = await startDemoBroker();
    opened.push(embedded);
    const lines: string[] = [];
    const r = await runDemo({ brokerUrl: embedded.url, tokens: embedded.tokens, print: (l) => void lines.push(l), pauseMs: 1 });
    expect(r).toMatchObject({ completed: 2, escalated: 1 });
    expect(r.durationMs).toBeLessThan(60_000);
    expect(r.tasks.map((t) => t.status).sort()).toEqual(['completed', 'completed', 'needs_assist']);
    const text = lines.join('\n');
    expect(text).toMatch(/roster: coordinator \(coordinator\), researcher-1 \(researcher\)/);
    expect(text).toMatch(/tries T\d too: 409/);
    expect(text).toMatch(/CONFLICT "XAUTOCLAIM arrived in Redis 6.2" \(0.9\) vs "XAUTOCLAIM arrived in Redis 7.0" \(0.45\)/);
    expect(text).toMatch(/escalated to a human: T\d is needs_assist/);
    expect(text).toMatch(/the escalations stream holds 1 message/);
  });

  it('runs against a Redis-backed broker without auth, twice (runs do not see each other\'s tasks)', async () => {
    const { broker } = startBroker();
    const url = await broker.listen(0);
    const first = await runDemo({ brokerUrl: url, print: () => undefined, swarm: 'demo-redis' });
    const second = await runDemo({ brokerUrl: url, print: () => undefined, swarm: 'demo-redis' });
    expect([first.completed, first.escalated, second.completed, second.escalated]).toEqual([2, 1, 2, 1]);
  });

  it('says why when one token is asked to play every agent', async () => {
    const only = token('coordinator', ['demo']);
    const { broker } = startBroker({ auth: { tokens: [only.config] } });
    const url = await broker.listen(0);
    await expect(runDemo({ brokerUrl: url, token: only.secret, print: () => undefined })).rejects.toThrow(/give it a token per agent/);
  });
});
