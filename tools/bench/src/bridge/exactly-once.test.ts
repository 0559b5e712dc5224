import { describe, expect, it } from 'vitest';
import { compareIds, idsOfEnvelope } from './exactly-once';

describe('compareIds', () => {
  it('passes when every committed id is in the stream exactly once', () => {
    expect(compareIds(['1', '2', '3'], ['3', '1', '2'])).toMatchObject({ committed: 3, stream_entries: 3, missing: 0, duplicates: 0, unexpected: 0, exactly_once: true });
    expect(compareIds([], [])).toMatchObject({ exactly_once: true, committed: 0 });
  });

  it('catches a duplicate that makes up for a missing id, which equal counts would not', () => {
    const c = compareIds(['1', '2', '3'], ['1', '1', '3']);
    expect(c).toMatchObject({ committed: 3, stream_entries: 3, missing: 1, duplicates: 1, unexpected: 0, exactly_once: false });
    expect(c.samples).toEqual({ missing: ['2'], duplicates: ['1'], unexpected: [] });
  });

  it('counts ids in the stream that were never committed, and samples at most sampleSize of each', () => {
    const c = compareIds(['a'], ['a', 'x', 'y', 'z'], 2);
    expect(c).toMatchObject({ unexpected: 3, missing: 0, duplicates: 0, exactly_once: false });
    expect(c.samples.unexpected).toEqual(['x', 'y']);
    // A committed id listed twice is one commit.
    expect(compareIds(['a', 'a'], ['a'])).toMatchObject({ committed: 1, exactly_once: true });
  });
});

describe('idsOfEnvelope', () => {
  it('reads the envelope id and the L1 event base_log_id; null for anything else', () => {
    expect(idsOfEnvelope(JSON.stringify({ id: 'e1', payload: { base_log_id: '42' } }))).toEqual({ eventId: 'e1', baseLogId: '42' });
    expect(idsOfEnvelope(JSON.stringify({ id: 'e1', payload: { base_log_id: 42 } }))).toEqual({ eventId: 'e1', baseLogId: '42' });
    expect(idsOfEnvelope(JSON.stringify({ id: 'e1', payload: {} }))).toBeNull();
    expect(idsOfEnvelope('not json')).toBeNull();
  });
});
