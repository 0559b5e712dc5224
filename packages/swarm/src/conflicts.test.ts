import { describe, expect, it } from 'vitest';
import type { Finding } from '@agentbus/schema';
import { disagreement, findConflicts, normaliseClaim } from './conflicts';

const f = (id: string, claim: string, confidence: number, speech_act: Finding['speech_act'] = 'inform'): Finding => ({
  id,
  claim,
  confidence,
  speech_act,
  citations: [],
  worker_id: 'w',
  timestamp: '2026-01-01T00:00:00.000Z',
});

describe('conflicts', () => {
  it('normalises claims: case, whitespace, Unicode forms, trailing punctuation', () => {
    expect(normaliseClaim('  Redis 7\tis   REQUIRED!! ')).toBe('redis 7 is required');
    expect(normaliseClaim('ﬁle cache.')).toBe('file cache');
  });

  it('says why two findings disagree, or that they agree', () => {
    expect(disagreement(f('a', 'x is true', 0.9), f('b', 'x is false', 0.1))).toBe('different_claims');
    expect(disagreement(f('a', 'x is true', 0.9), f('b', 'X is true.', 0.1, 'refuse'))).toBe('opposed_acts');
    expect(disagreement(f('a', 'x', 0.9, 'reject'), f('b', 'x', 0.1, 'failure'))).toBeUndefined();
    expect(disagreement(f('a', 'x', 0.9, 'propose'), f('b', 'x', 0.1, 'agree'))).toBeUndefined();
  });

  it('finds disagreeing pairs whose gap is more than the threshold, largest gap first', () => {
    const findings = [f('a', 'x', 0.95), f('b', 'y', 0.1), f('c', 'z', 0.5), f('d', 'x', 0.2, 'reject')];
    const conflicts = findConflicts('t', findings, 0.3);
    expect(conflicts.map((c) => [c.higher.id, c.lower.id, c.reason])).toEqual([
      ['a', 'b', 'different_claims'],
      ['a', 'd', 'opposed_acts'],
      ['a', 'c', 'different_claims'],
      ['c', 'b', 'different_claims'],
    ]);
    expect(conflicts[0]).toMatchObject({ task_id: 't' });
    expect(findConflicts('t', [f('a', 'x', 0.8), f('b', 'y', 0.5)], 0.3)).toEqual([]);
    expect(findConflicts('t', [], 0.3)).toEqual([]);
  });

  it('orders equal gaps by id, so the report is stable', () => {
    const conflicts = findConflicts('t', [f('b', 'x', 1), f('a', 'y', 1), f('c', 'z', 0)], 0.3);
    expect(conflicts.map((c) => c.higher.id)).toEqual(['a', 'b']);
  });
});
