import { describe, expect, it } from 'vitest';
import { mergeContext } from './context-merge';

const NOW = '2026-01-01T00:00:00.000Z';

describe('mergeContext', () => {
  it('starts an empty context when there is none', () => {
    expect(mergeContext(undefined, {}, 'task', 't', NOW)).toEqual({
      notes: [],
      timeline: [],
      topics: [],
      shared_data: {},
      scope: 'task',
      name: 't',
      updated_at: NOW,
    });
  });

  it('appends notes and timeline, adds topics once, merges shared_data by key, keeps other fields', () => {
    const current = {
      notes: ['a'],
      timeline: [{ at: '2025-01-01T00:00:00.000Z', event: 'x' }],
      topics: ['redis'],
      shared_data: { keep: 1, replace: 'old' },
      owner: 'python-agent',
    };
    const merged = mergeContext(current, { notes: ['b', 'c'], timeline: [{ event: 'y', by: 'w' }], topics: ['redis', 'lua'], shared_data: { replace: 'new' } }, 's', 'n', NOW);
    expect(merged).toEqual({
      notes: ['a', 'b', 'c'],
      timeline: [{ at: '2025-01-01T00:00:00.000Z', event: 'x' }, { at: NOW, event: 'y', by: 'w' }],
      topics: ['redis', 'lua'],
      shared_data: { keep: 1, replace: 'new' },
      owner: 'python-agent',
      scope: 's',
      name: 'n',
      updated_at: NOW,
    });
  });
});
