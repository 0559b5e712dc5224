import { describe, expect, it } from 'vitest';
import { Fifo } from '../internal/fifo';
import type { StreamBackend } from '../internal/stream-backend';
import { DeliveryWindow } from './delivery-window';
import type { HeldEntry, LaneQueue, PartitionReader } from './held-entry';
import { LeaseKeeper } from './lease-keeper';

function reader(): PartitionReader {
  const r: PartitionReader = {
    partition: 0, topic: 't', lanes: [], byStream: new Map(), abort: new AbortController(),
    active: true, busy: false, fenceConfirmedAt: 0, key: 'k',
  };
  const lane: LaneQueue = { stream: 's', lane: 'normal', weight: 1, current: 0, queue: new Fifo<HeldEntry>(), reader: r };
  r.lanes.push(lane);
  r.byStream.set('s', lane);
  return r;
}

const entry = (r: PartitionReader, id: string): HeldEntry => ({ id, raw: '{}', deliveryCount: 1, lane: r.lanes[0]!, confirmedAt: 0, lost: false });

describe('DeliveryWindow', () => {
  const keeper = () => new LeaseKeeper({ backend: {} as StreamBackend, group: 'g', consumer: 'c', renewMs: 0, claimIdleMs: 1000, fenceSafeMs: 1000, onLost: () => undefined, report: () => undefined });

  it('does not buffer what a stopped reader read on its way out: the room stays free', () => {
    const w = new DeliveryWindow(4, 2, true, keeper());
    const r = reader();
    w.setReaders([r]);
    expect(w.enqueue(r.lanes[0]!, entry(r, '1-0'))).toBe(true);
    r.active = false;
    w.drop(r);
    expect(w.enqueue(r.lanes[0]!, entry(r, '2-0'))).toBe(false);
    expect(w.room()).toBe(4);
  });

  it('buffers an id once, and on an ordered topic starts one entry per partition at a time', () => {
    const w = new DeliveryWindow(4, 2, true, keeper());
    const r = reader();
    w.setReaders([r]);
    expect(w.enqueue(r.lanes[0]!, entry(r, '1-0'))).toBe(true);
    expect(w.enqueue(r.lanes[0]!, entry(r, '1-0'))).toBe(false);
    expect(w.enqueue(r.lanes[0]!, entry(r, '2-0'))).toBe(true);
    const first = w.next()!;
    expect(first.id).toBe('1-0');
    expect(w.next()).toBeUndefined();
    w.done(first);
    expect(w.next()!.id).toBe('2-0');
  });
});
