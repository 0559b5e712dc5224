import { describe, expect, it } from 'vitest';
import { parseMentions } from './mentions';

const known = new Set(['ada', 'bob', 'haiku-1', 'a.b']);

describe('parseMentions', () => {
  it('finds known ids, in order, once, ignoring e-mail addresses and unknown names', () => {
    expect(parseMentions('hi @bob and @ada, @bob again; mail x@ada.org or @nobody', known)).toEqual(['bob', 'ada']);
  });
  it('drops punctuation at the end of a mention unless it is part of a known id', () => {
    expect(parseMentions('thanks @haiku-1. and @a.b.', known)).toEqual(['haiku-1', 'a.b']);
    expect(parseMentions('@ada- @bob_', known)).toEqual(['ada', 'bob']);
  });
  it('stops at 256 mentions', () => {
    const many = new Set(Array.from({ length: 300 }, (_, i) => `u${i}`));
    expect(parseMentions([...many].map((u) => `@${u}`).join(' '), many)).toHaveLength(256);
  });
});
