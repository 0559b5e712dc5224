import { describe, expect, it } from 'vitest';
import type { AddOutcome, StreamBackend } from '../internal/stream-backend';
import { createMemoryStore, storeState } from './memory-store';
import { createMemoryStreamBackend } from './memory-stream-backend';

const S = '{agentbus:orders}:stream';
const URGENT = '{agentbus:orders}:stream:urgent';
const DROPPED = '{agentbus:orders}:dropped';

function setup(start = 1_700_000_000_000) {
  let t = start;
  const clock = { now: () => t, advance: (ms: number) => void (t += ms), set: (ms: number) => void (t = ms) };
  const store = createMemoryStore({ now: clock.now });
  const backend = createMemoryStreamBackend({ store });
  return { clock, store, backend };
}

function idOf(outcome: AddOutcome): string {
  if (outcome.kind === 'backpressure') throw new Error('unexpected backpressure');
  return outcome.streamId;
}

async function addN(b: StreamBackend, n: number, stream = S): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(idOf(await b.add({ stream, raw: `m${i}` })));
  return ids;
}

function read(b: StreamBackend, consumer: string, id = '>', count = 100, group = 'g', stream = S) {
  return b.read({ group, consumer, streams: [stream], ids: [id], count, blockMs: 0 });
}

async function ids(b: StreamBackend, consumer: string, id = '>', count = 100, group = 'g'): Promise<string[]> {
  const r = await read(b, consumer, id, count, group);
  return r.flatMap((x) => x.entries.map((e) => e.id));
}

async function groupInfo(b: StreamBackend, group = 'g', stream = S) {
  const info = await b.info(stream);
  const g = info.groups.find((x) => x.name === group);
  if (!g) throw new Error(`no group ${group}`);
  return g;
}

describe('memory stream backend: ids', () => {
  it('generates strictly increasing <ms>-<seq> ids like XADD *', async () => {
    const { backend, clock } = setup(1000);
    const a = idOf(await backend.add({ stream: S, raw: 'a' }));
    const b = idOf(await backend.add({ stream: S, raw: 'b' }));
    clock.advance(5);
    const c = idOf(await backend.add({ stream: S, raw: 'c' }));
    clock.set(10); // the clock went backwards
    const d = idOf(await backend.add({ stream: S, raw: 'd' }));
    expect([a, b, c, d]).toEqual(['1000-0', '1000-1', '1005-0', '1005-1']);
  });

  it('keeps ids increasing after every entry was trimmed', async () => {
    const { backend } = setup(1000);
    await addN(backend, 3);
    await backend.trim(S, { hardMaxLen: 1 }, 1000, DROPPED);
    await backend.trim(S, { maxLen: 1 }, 1000, DROPPED);
    expect(idOf(await backend.add({ stream: S, raw: 'x' }))).toBe('1000-3');
  });
});

describe('memory stream backend: consumer groups', () => {
  it('delivers each new entry once per group, up to COUNT, and records it pending with delivery count 1', async () => {
    const { backend } = setup();
    const added = await addN(backend, 5);
    await backend.ensureGroup(S, 'g', '0');
    await backend.ensureGroup(S, 'g', '0'); // idempotent
    await backend.ensureGroup(S, 'other', '0');

    const first = await read(backend, 'c1', '>', 2);
    expect(first).toEqual([{ stream: S, entries: [{ id: added[0], raw: 'm0' }, { id: added[1], raw: 'm1' }] }]);
    expect(await ids(backend, 'c2')).toEqual(added.slice(2));
    expect(await read(backend, 'c1')).toEqual([]);
    // Another group has its own position.
    expect(await ids(backend, 'x', '>', 100, 'other')).toEqual(added);

    expect(await backend.deliveryCounts(S, 'g', added)).toEqual(new Map(added.map((id) => [id, 1])));
    const g = await groupInfo(backend);
    expect(g.pending).toBe(5);
    expect(g.lag).toBe(0);
    expect(g.lastDeliveredId).toBe(added[4]);
    expect(g.consumers.map((c) => [c.name, c.pending])).toEqual([
      ['c1', 2],
      ['c2', 3],
    ]);
  });

  it('a group created at $ only sees entries added after it', async () => {
    const { backend } = setup();
    await addN(backend, 2);
    await backend.ensureGroup(S, 'g', '$');
    const later = await addN(backend, 1);
    expect(await ids(backend, 'c')).toEqual(later);
  });

  it('ensureGroup creates a missing stream (MKSTREAM), empty', async () => {
    const { backend } = setup();
    await backend.ensureGroup(S, 'g', '0');
    const info = await backend.info(S);
    expect(info).toMatchObject({ stream: S, length: 0, firstId: null, lastId: null });
    expect(info.groups[0]).toMatchObject({ name: 'g', pending: 0, lag: 0, lastDeliveredId: '0-0' });
  });

  it('reading history (id 0) returns only this consumer pending entries, counting one more delivery', async () => {
    const { backend, clock } = setup();
    const added = await addN(backend, 3);
    await backend.ensureGroup(S, 'g', '0');
    await read(backend, 'c1', '>', 2);
    await read(backend, 'c2', '>', 1);
    clock.advance(100);

    const history = await read(backend, 'c1', '0');
    expect(history).toEqual([{ stream: S, entries: [{ id: added[0], raw: 'm0' }, { id: added[1], raw: 'm1' }] }]);
    expect(await ids(backend, 'c1', added[0]!)).toEqual([added[1]]); // after the given id
    expect(await backend.deliveryCounts(S, 'g', added)).toEqual(
      new Map([
        [added[0]!, 2],
        [added[1]!, 3],
        [added[2]!, 1],
      ]),
    );
    // The history reads re-delivered c1's entries: their idle time restarted, unlike c2's.
    clock.advance(10);
    expect((await backend.claim(S, 'g', 'c3', 50, 10, '0-0')).entries.map((e) => e.id)).toEqual([added[2]]);
  });

  it('a history read answers at once, with its stream and no entries when nothing is pending', async () => {
    const { backend } = setup();
    await backend.ensureGroup(S, 'g', '0');
    const started = Date.now();
    const r = await backend.read({ group: 'g', consumer: 'c', streams: [S], ids: ['0'], count: 10, blockMs: 5_000 });
    expect(r).toEqual([{ stream: S, entries: [] }]);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('a history read returns a pending entry that was trimmed away with no fields, without counting it', async () => {
    const { backend } = setup();
    const added = await addN(backend, 2);
    await backend.ensureGroup(S, 'g', '0');
    await read(backend, 'c');
    await backend.trim(S, { hardMaxLen: 1 }, 0, DROPPED);
    expect(await read(backend, 'c', '0')).toEqual([
      {
        stream: S,
        entries: [
          { id: added[0], raw: null },
          { id: added[1], raw: 'm1' },
        ],
      },
    ]);
    expect((await backend.deliveryCounts(S, 'g', added)).get(added[0]!)).toBe(1);
  });

  it('XACK removes entries from the group and consumer PEL; unknown ids and groups are ignored', async () => {
    const { backend } = setup();
    const added = await addN(backend, 3);
    await backend.ensureGroup(S, 'g', '0');
    await read(backend, 'c');
    await backend.ack(
      'g',
      new Map([
        [S, [added[0]!, added[1]!, '1-0']],
        ['{agentbus:nope}:stream', ['1-0']],
      ]),
    );
    await backend.ack('missing-group', new Map([[S, [added[2]!]]]));
    const g = await groupInfo(backend);
    expect(g.pending).toBe(1);
    expect(g.consumers).toEqual([{ name: 'c', pending: 1, idleMs: 0 }]);
    expect(await ids(backend, 'c', '0')).toEqual([added[2]]);
  });

  it('refuses reads, claims and pending lookups on a missing group with NOT_FOUND (NOGROUP)', async () => {
    const { backend } = setup();
    await addN(backend, 1);
    await expect(read(backend, 'c')).rejects.toMatchObject({ code: 'NOT_FOUND', message: /NOGROUP/ });
    await expect(backend.claim(S, 'g', 'c', 0, 10, '0-0')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(backend.deliveryCounts(S, 'g', ['1-0'])).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await backend.reap(S, 'g', 0)).toEqual([]);
  });

  it('refuses a malformed stream id with INVALID_ARGUMENT', async () => {
    const { backend } = setup();
    await backend.ensureGroup(S, 'g', '0');
    await expect(read(backend, 'c', 'abc')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(backend.ack('g', new Map([[S, ['1-x']]]))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('memory stream backend: XAUTOCLAIM', () => {
  it('moves entries idle at least minIdleMs to the claimer and counts the delivery', async () => {
    const { backend, clock } = setup();
    const added = await addN(backend, 3);
    await backend.ensureGroup(S, 'g', '0');
    await read(backend, 'dead', '>', 2);
    clock.advance(500);
    await read(backend, 'dead', '>', 1); // delivered later: not idle enough yet
    clock.advance(500);

    expect((await backend.claim(S, 'g', 'alive', 1_000, 10, '0-0')).entries).toEqual([
      { id: added[0], raw: 'm0', deliveryCount: 2 },
      { id: added[1], raw: 'm1', deliveryCount: 2 },
    ]);
    // Claimed entries now belong to the claimer and their idle time restarted.
    expect(await ids(backend, 'alive', '0')).toEqual(added.slice(0, 2));
    expect(await ids(backend, 'dead', '0')).toEqual([added[2]]);
    expect((await backend.claim(S, 'g', 'other', 1_000, 10, '0-0')).entries).toEqual([]);
    const g = await groupInfo(backend);
    expect(g.consumers.map((c) => [c.name, c.pending])).toEqual([
      ['alive', 2],
      ['dead', 1],
    ]);
  });

  it('claims at most COUNT entries, oldest first', async () => {
    const { backend, clock } = setup();
    const added = await addN(backend, 5);
    await backend.ensureGroup(S, 'g', '0');
    await read(backend, 'dead');
    clock.advance(10);
    expect((await backend.claim(S, 'g', 'c', 10, 2, '0-0')).entries.map((e) => e.id)).toEqual(added.slice(0, 2));
    expect((await backend.claim(S, 'g', 'c2', 10, 100, '0-0')).entries.map((e) => e.id)).toEqual(added.slice(2));
  });

  it('drops pending entries whose stream entry was trimmed, without returning them', async () => {
    const { backend, clock } = setup();
    const added = await addN(backend, 3);
    await backend.ensureGroup(S, 'g', '0');
    await read(backend, 'dead');
    await backend.trim(S, { hardMaxLen: 1 }, clock.now(), DROPPED);
    clock.advance(100);
    const page = await backend.claim(S, 'g', 'c', 100, 10, '0-0');
    expect(page.entries.map((e) => e.id)).toEqual([added[2]]);
    expect(page.deleted).toEqual([added[0], added[1]]);
    const g = await groupInfo(backend);
    expect(g.pending).toBe(1);
  });

  it('does not create the claimer when there was nothing to claim', async () => {
    const { backend } = setup();
    await backend.ensureGroup(S, 'g', '0');
    expect((await backend.claim(S, 'g', 'nobody', 0, 10, '0-0')).entries).toEqual([]);
    expect((await groupInfo(backend)).consumers).toEqual([]);
  });
});

describe('memory stream backend: reap', () => {
  it('removes consumers idle past the limit with nothing pending, keeps the others', async () => {
    const { backend, clock } = setup();
    await addN(backend, 1);
    await backend.ensureGroup(S, 'g', '0');
    await read(backend, 'busy'); // owns the entry
    await read(backend, 'ghost');
    clock.advance(60_000);
    await read(backend, 'fresh');
    expect(await backend.reap(S, 'g', 30_000, 'ghost')).toEqual([]);
    expect(await backend.reap(S, 'g', 30_000)).toEqual(['ghost']);
    const g = await groupInfo(backend);
    expect(g.consumers.map((c) => c.name)).toEqual(['busy', 'fresh']);
    expect(g.consumers.find((c) => c.name === 'busy')?.idleMs).toBe(60_000);
  });
});

describe('memory stream backend: blocking reads', () => {
  it('wakes a blocked read when an entry is added to any of its streams, also by another backend on the store', async () => {
    const { backend, store } = setup();
    const other = createMemoryStreamBackend({ store });
    await backend.ensureGroup(S, 'g', '0');
    await backend.ensureGroup(URGENT, 'g', '0');
    const pending = backend.read({ group: 'g', consumer: 'c', streams: [S, URGENT], ids: ['>', '>'], count: 10, blockMs: 5_000 });
    const started = Date.now();
    const id = idOf(await other.add({ stream: URGENT, raw: 'u' }));
    expect(await pending).toEqual([{ stream: URGENT, entries: [{ id, raw: 'u' }] }]);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect((await groupInfo(backend, 'g', URGENT)).pending).toBe(1);
  });

  it('serves blocked readers of one group first come first served, each entry once', async () => {
    const { backend } = setup();
    await backend.ensureGroup(S, 'g', '0');
    const block = (consumer: string) =>
      backend.read({ group: 'g', consumer, streams: [S], ids: ['>'], count: 1, blockMs: 300 });
    const first = block('a');
    const second = block('b');
    const [id] = await addN(backend, 1);
    expect(await first).toEqual([{ stream: S, entries: [{ id, raw: 'm0' }] }]);
    // The second reader stays blocked (nothing left for it) until its timeout.
    expect(await second).toEqual([]);
  });

  it('serves a batch as a whole', async () => {
    const { backend } = setup();
    await backend.ensureGroup(S, 'g', '0');
    const pending = backend.read({ group: 'g', consumer: 'c', streams: [S], ids: ['>'], count: 10, blockMs: 2_000 });
    await backend.addBatch([1, 2, 3].map((n) => ({ stream: S, raw: `b${n}` })));
    expect((await pending)[0]?.entries.map((e) => e.raw)).toEqual(['b1', 'b2', 'b3']);
  });

  it('resolves [] when the block times out', async () => {
    const { backend } = setup();
    await backend.ensureGroup(S, 'g', '0');
    const started = Date.now();
    expect(await backend.read({ group: 'g', consumer: 'c', streams: [S], ids: ['>'], count: 1, blockMs: 50 })).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(40);
  });

  it('resolves [] at once when its signal aborts, and an aborted signal does not read', async () => {
    const { backend } = setup();
    await backend.ensureGroup(S, 'g', '0');
    const ac = new AbortController();
    const pending = backend.read({ group: 'g', consumer: 'c', streams: [S], ids: ['>'], count: 1, blockMs: 10_000, signal: ac.signal });
    ac.abort();
    expect(await pending).toEqual([]);
    await addN(backend, 1);
    expect(await backend.read({ group: 'g', consumer: 'c', streams: [S], ids: ['>'], count: 1, blockMs: 0, signal: ac.signal })).toEqual([]);
    // Nothing was taken by the aborted reads.
    expect((await groupInfo(backend)).pending).toBe(0);
  });

  it('close wakes its blocked reads with [] and rejects later calls with CLOSED; the store lives on', async () => {
    const { backend, store } = setup();
    const other = createMemoryStreamBackend({ store });
    await backend.ensureGroup(S, 'g', '0');
    const mine = backend.read({ group: 'g', consumer: 'c', streams: [S], ids: ['>'], count: 1, blockMs: 10_000 });
    const theirs = other.read({ group: 'g', consumer: 'd', streams: [S], ids: ['>'], count: 1, blockMs: 2_000 });
    await backend.close();
    await backend.close();
    expect(await mine).toEqual([]);
    await expect(backend.add({ stream: S, raw: 'x' })).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(read(backend, 'c')).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(backend.health()).rejects.toMatchObject({ code: 'CLOSED' });
    // The other backend still works and still gets woken.
    await other.add({ stream: S, raw: 'x' });
    expect((await theirs)[0]?.entries).toHaveLength(1);
  });
});

describe('memory stream backend: publish script (dedupe, budget)', () => {
  it('a second add with the same dedupe key inside the window is a duplicate of the first; after it, a new entry', async () => {
    const { backend, clock } = setup();
    const req = { stream: S, raw: 'x', dedupeKey: '{agentbus:orders}:dedupe:id1', dedupeWindowMs: 1_000 };
    const first = await backend.add(req);
    expect(first.kind).toBe('added');
    clock.advance(1_000);
    expect(await backend.add(req)).toEqual({ kind: 'duplicate', streamId: idOf(first) });
    expect(await backend.add({ ...req, dedupeKey: '{agentbus:orders}:dedupe:id2' })).toMatchObject({ kind: 'added' });
    clock.advance(1);
    const third = await backend.add(req);
    expect(third.kind).toBe('added');
    expect(idOf(third)).not.toBe(idOf(first));
    expect((await backend.info(S)).length).toBe(3);
  });

  it('dedupe records that expired are swept as records accumulate, not kept until read', async () => {
    const { backend, clock, store } = setup();
    const add = (i: number) => backend.add({ stream: S, raw: 'x', dedupeKey: `{agentbus:orders}:dedupe:${i}`, dedupeWindowMs: 1_000 });
    for (let i = 0; i < 1_000; i++) await add(i);
    clock.advance(1_001);
    // Their records expired; the next doubling of the map sweeps them.
    for (let i = 1_000; i < 1_100; i++) await add(i);
    const strings = storeState(store).strings;
    expect(strings.size).toBe(100);
    // Live records are kept and still dedupe.
    expect((await add(1_099)).kind).toBe('duplicate');
  });

  it('does not dedupe without a window', async () => {
    const { backend } = setup();
    const req = { stream: S, raw: 'x', dedupeKey: 'k', dedupeWindowMs: 0 };
    expect((await backend.add(req)).kind).toBe('added');
    expect((await backend.add(req)).kind).toBe('added');
  });

  it('refuses with backpressure once the budget streams together hold maxBacklog entries, writing nothing', async () => {
    const { backend } = setup();
    const budget = { maxBacklog: 3, budgetStreams: [S, URGENT] };
    await addN(backend, 2, S);
    expect((await backend.add({ stream: URGENT, raw: 'u', ...budget })).kind).toBe('added');
    expect(await backend.add({ stream: S, raw: 'x', ...budget })).toEqual({ kind: 'backpressure', length: 3 });
    expect((await backend.info(S)).length).toBe(2);
    // Without budgetStreams the budget counts the stream itself.
    expect(await backend.add({ stream: S, raw: 'x', maxBacklog: 2 })).toEqual({ kind: 'backpressure', length: 2 });
    // Trimming frees budget.
    await backend.trim(S, { maxLen: 1 }, 0, DROPPED);
    expect((await backend.add({ stream: S, raw: 'x', ...budget })).kind).toBe('added');
  });

  it('a duplicate is recognised even over budget (nothing would be written anyway)', async () => {
    const { backend } = setup();
    const req = { stream: S, raw: 'x', dedupeKey: 'k', dedupeWindowMs: 1_000, maxBacklog: 1 };
    const first = await backend.add(req);
    expect(await backend.add(req)).toEqual({ kind: 'duplicate', streamId: idOf(first) });
  });

  it('addBatch applies every add in order with its own outcome', async () => {
    const { backend } = setup(5);
    const outcomes = await backend.addBatch([
      { stream: S, raw: 'a', dedupeKey: 'k', dedupeWindowMs: 100 },
      { stream: S, raw: 'a', dedupeKey: 'k', dedupeWindowMs: 100 },
      { stream: S, raw: 'b' },
      { stream: S, raw: 'c', maxBacklog: 2 },
    ]);
    expect(outcomes).toEqual([
      { kind: 'added', streamId: '5-0' },
      { kind: 'duplicate', streamId: '5-0' },
      { kind: 'added', streamId: '5-1' },
      { kind: 'backpressure', length: 2 },
    ]);
  });
});

describe('memory stream backend: safe retention', () => {
  it('maxLen never removes entries a group has not had delivered', async () => {
    const { backend } = setup();
    const added = await addN(backend, 5);
    await backend.ensureGroup(S, 'g', '0');
    await read(backend, 'c', '>', 2);
    await backend.ack('g', new Map([[S, added.slice(0, 2)]]));
    // The policy says keep 1; the group still needs entries 3..5.
    expect(await backend.trim(S, { maxLen: 1 }, 0, DROPPED)).toEqual({ trimmed: 2, droppedUnacked: 0 });
    expect((await backend.info(S)).firstId).toBe(added[2]);
    expect(await ids(backend, 'c')).toEqual(added.slice(2));
  });

  it('maxLen never removes entries pending in a group, and removes them once acked', async () => {
    const { backend } = setup();
    const added = await addN(backend, 4);
    await backend.ensureGroup(S, 'g', '0');
    await read(backend, 'c');
    await backend.ack('g', new Map([[S, [added[0]!, added[2]!]]])); // entry 2 still pending
    expect(await backend.trim(S, { maxLen: 1 }, 0, DROPPED)).toEqual({ trimmed: 1, droppedUnacked: 0 });
    expect((await backend.info(S)).firstId).toBe(added[1]);
    await backend.ack('g', new Map([[S, [added[1]!]]]));
    // Entry 4 is still pending, but entry 3 (acked) may go now: the policy point decides.
    expect(await backend.trim(S, { maxLen: 1 }, 0, DROPPED)).toEqual({ trimmed: 2, droppedUnacked: 0 });
    expect((await backend.info(S)).firstId).toBe(added[3]);
  });

  it('the slowest group bounds the trim', async () => {
    const { backend } = setup();
    const added = await addN(backend, 4);
    await backend.ensureGroup(S, 'fast', '0');
    await backend.ensureGroup(S, 'slow', '0');
    await read(backend, 'c', '>', 100, 'fast');
    await backend.ack('fast', new Map([[S, added]]));
    await read(backend, 'c', '>', 1, 'slow');
    await backend.ack('slow', new Map([[S, [added[0]!]]]));
    expect(await backend.trim(S, { maxLen: 1 }, 0, DROPPED)).toEqual({ trimmed: 1, droppedUnacked: 0 });
  });

  it('maxAgeMs removes acked entries older than now - maxAgeMs', async () => {
    const { backend, clock } = setup(10_000);
    await addN(backend, 2); // at 10000
    clock.advance(5_000);
    const young = await addN(backend, 1); // at 15000
    expect(await backend.trim(S, { maxAgeMs: 3_000 }, clock.now(), DROPPED)).toEqual({ trimmed: 2, droppedUnacked: 0 });
    expect((await backend.info(S)).firstId).toBe(young[0]);
    // With a group that has not read them, nothing goes.
    await backend.ensureGroup(S, 'g', '0');
    clock.advance(60_000);
    expect(await backend.trim(S, { maxAgeMs: 3_000 }, clock.now(), DROPPED)).toEqual({ trimmed: 0, droppedUnacked: 0 });
  });

  it('hardMaxLen trims regardless and counts every entry dropped unacked', async () => {
    const { backend } = setup();
    const added = await addN(backend, 6);
    await backend.ensureGroup(S, 'g', '0');
    await read(backend, 'c', '>', 3);
    await backend.ack('g', new Map([[S, [added[0]!]]]));
    // Drops 1 (acked), 2 and 3 (pending), 4 (undelivered): 3 unacked.
    expect(await backend.trim(S, { hardMaxLen: 2 }, 0, DROPPED)).toEqual({ trimmed: 4, droppedUnacked: 3 });
    expect(await backend.dropped(DROPPED)).toBe(3);
    const info = await backend.info(S);
    expect(info.length).toBe(2);
    expect(info.firstId).toBe(added[4]);
    // XTRIM does not touch the PEL: the dropped pending entries stay until a claim clears them.
    expect(info.groups[0]?.pending).toBe(2);
    await addN(backend, 2);
    expect(await backend.trim(S, { hardMaxLen: 2 }, 0, DROPPED)).toEqual({ trimmed: 2, droppedUnacked: 2 });
    expect(await backend.dropped(DROPPED)).toBe(5);
  });

  it('with no group, the policy applies as it is; a missing stream trims nothing', async () => {
    const { backend } = setup();
    await addN(backend, 5);
    expect(await backend.trim(S, { maxLen: 2 }, 0, DROPPED)).toEqual({ trimmed: 3, droppedUnacked: 0 });
    expect(await backend.trim('{agentbus:none}:stream', { maxLen: 1 }, 0, DROPPED)).toEqual({ trimmed: 0, droppedUnacked: 0 });
    expect(await backend.dropped('{agentbus:none}:dropped')).toBe(0);
  });

  it('refuses a negative policy value', async () => {
    const { backend } = setup();
    await expect(backend.trim(S, { maxLen: -1 }, 0, DROPPED)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('memory stream backend: info, health, sharing', () => {
  it('reports length, first and last id, and per group pending, lag, last delivered id and consumer idle times', async () => {
    const { backend, clock } = setup();
    const added = await addN(backend, 4);
    await backend.ensureGroup(S, 'b', '0');
    await backend.ensureGroup(S, 'a', '0');
    await read(backend, 'c2', '>', 1, 'a');
    clock.advance(250);
    await read(backend, 'c1', '>', 1, 'a');
    const info = await backend.info(S);
    expect(info).toEqual({
      stream: S,
      length: 4,
      firstId: added[0],
      lastId: added[3],
      groups: [
        {
          name: 'a',
          consumers: [
            { name: 'c1', pending: 1, idleMs: 0 },
            { name: 'c2', pending: 1, idleMs: 250 },
          ],
          pending: 2,
          lag: 2,
          lastDeliveredId: added[1],
        },
        { name: 'b', consumers: [], pending: 0, lag: 4, lastDeliveredId: '0-0' },
      ],
    });
    expect(await backend.info('{agentbus:none}:stream')).toEqual({
      stream: '{agentbus:none}:stream',
      length: 0,
      firstId: null,
      lastId: null,
      groups: [],
    });
  });

  it('health reports an ok standalone memory backend', async () => {
    const { backend } = setup();
    expect(await backend.health()).toEqual({ ok: true, backend: 'memory', latencyMs: 0, mode: 'standalone' });
  });

  it('backends on one store share streams and groups; separate stores do not', async () => {
    const { backend, store } = setup();
    const peer = createMemoryStreamBackend({ store });
    const stranger = createMemoryStreamBackend();
    const [id] = await addN(backend, 1);
    await peer.ensureGroup(S, 'g', '0');
    expect(await ids(peer, 'c')).toEqual([id]);
    expect((await groupInfo(backend)).pending).toBe(1);
    expect((await stranger.info(S)).length).toBe(0);
  });

  it('uses the injected clock when given one directly', async () => {
    const backend = createMemoryStreamBackend({ now: () => 42 });
    expect(idOf(await backend.add({ stream: S, raw: 'x' }))).toBe('42-0');
  });
});
