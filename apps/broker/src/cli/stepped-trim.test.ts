import { describe, expect, it } from 'vitest';
import { createEnvelope } from '@agentbus/schema';
import { createMemoryTransport } from '@agentbus/transport';
import { trimInSteps } from './stepped-trim';

async function filled(n: number) {
  const t = createMemoryTransport();
  await t.publishBatch('big', Array.from({ length: n }, (_, i) => createEnvelope({ type: 'x', from: 'a', payload: i })));
  return t;
}

describe('trimInSteps', () => {
  it('approaches a length target in steps, reporting each', async () => {
    const t = await filled(100);
    const progress: Array<[number, number]> = [];
    const r = await trimInSteps(t, 'big', { hardMaxLen: 10 }, (d, n) => void progress.push([d, n]), { steps: 4, minEntriesForSteps: 50 });
    expect(r).toEqual({ trimmed: 90, droppedUnacked: 0 });
    expect(progress).toEqual([[0, 4], [1, 4], [2, 4], [3, 4], [4, 4]]);
    expect((await t.stats('big')).length).toBe(10);
    await t.close();
  });

  it('steps an age cutoff from the oldest entry, and runs short trims at once', async () => {
    const t = await filled(60);
    await new Promise((r) => setTimeout(r, 20));
    const progress: number[] = [];
    const r = await trimInSteps(t, 'big', { maxAgeMs: 5 }, (d) => void progress.push(d), { steps: 3, minEntriesForSteps: 10 });
    expect(r.trimmed).toBe(60);
    expect(progress).toEqual([0, 1, 2, 3]);
    const small = await filled(5);
    const once: number[] = [];
    expect(await trimInSteps(small, 'big', { maxLen: 2 }, (_d, n) => void once.push(n))).toMatchObject({ trimmed: 3 });
    expect(once).toEqual([1, 1]);
    expect(await trimInSteps(small, 'big', undefined, () => undefined)).toEqual({ trimmed: 0, droppedUnacked: 0 });
    await t.close();
    await small.close();
  });
});
