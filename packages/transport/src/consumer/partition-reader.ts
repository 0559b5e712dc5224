import { AgentbusError, ERROR_CODES, type KeyBuilder, type Priority } from '@agentbus/schema';
import { Fifo } from '../internal/fifo';
import type { LaneReadRequest, StreamBackend } from '../internal/stream-backend';
import type { DeliveryWindow } from './delivery-window';
import type { HeldEntry, LaneQueue, PartitionReader } from './held-entry';

export interface ReaderContext {
  backend: StreamBackend;
  keys: KeyBuilder;
  group: string;
  consumer: string;
  lanes: ReadonlyArray<readonly [Priority, number]>;
  blockMs: number;
  startId: '0' | '$';
  window: DeliveryWindow;
  /** Read again once this much of the window is free: fewer, fuller reads. */
  lowWater: number;
  running: () => boolean;
  pump: () => void;
  report: (error: unknown) => void;
  /** The partition lease was found held by another consumer. */
  onFenced: (reader: PartitionReader) => void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref?.());

/** A reader of one partition's lanes plus the group's inbox, heaviest lane first. */
export function makeReader(ctx: ReaderContext, partition: number, topic: string, fence?: { key: string; token: string }): PartitionReader {
  const reader: PartitionReader = {
    partition,
    topic,
    lanes: [],
    byStream: new Map(),
    abort: new AbortController(),
    active: true,
    busy: false,
    fenceConfirmedAt: performance.now(),
    key: `${ctx.group}\u0000${ctx.consumer}\u0000${partition}`,
    ...(fence ? { fence } : {}),
  };
  // Retries come back through the inbox: as urgent as the most urgent lane read.
  const inboxWeight = Math.max(...ctx.lanes.map(([, w]) => w));
  const streams: Array<[string, Priority | 'inbox', number]> = [
    ...ctx.lanes.map(([lane, w]) => [ctx.keys.lane(topic, lane), lane, w] as [string, Priority, number]),
    [ctx.keys.group(topic, ctx.group, 'inbox'), 'inbox', inboxWeight],
  ];
  streams.sort((a, b) => b[2] - a[2]);
  for (const [stream, lane, weight] of streams) {
    const q: LaneQueue = { stream, lane, weight, current: 0, queue: new Fifo<HeldEntry>(), reader };
    reader.lanes.push(q);
    reader.byStream.set(stream, q);
  }
  return reader;
}

export async function ensureGroups(ctx: ReaderContext, reader: PartitionReader): Promise<void> {
  // The inbox starts at 0 whatever startId says: what is in it was addressed to this group.
  await Promise.all(
    reader.lanes.map((l) => ctx.backend.ensureGroup(l.stream, ctx.group, l.lane === 'inbox' ? '0' : ctx.startId)),
  );
}

function held(lane: LaneQueue, id: string, raw: string | null, headers: string | null | undefined, deliveryCount: number, sent: number): HeldEntry {
  return { id, raw, headers, deliveryCount, lane, confirmedAt: sent, lost: false };
}

/** Entries this consumer (same name) read before a restart or was handed in a takeover, oldest first. */
async function readOwnPending(ctx: ReaderContext, reader: PartitionReader): Promise<void> {
  const { backend, window } = ctx;
  for (const lane of reader.lanes) {
    let after = '0';
    while (ctx.running() && reader.active) {
      const sent = performance.now();
      const res = await backend.read({
        group: ctx.group,
        consumer: ctx.consumer,
        streams: [lane.stream],
        ids: [after],
        count: Math.max(1, Math.min(window.room(), 1000)),
        blockMs: 0,
      });
      const entries = res[0]?.entries ?? [];
      if (entries.length === 0) break;
      const counts = await backend.deliveryCounts(lane.stream, ctx.group, entries.map((e) => e.id));
      const gone: string[] = [];
      for (const e of entries) {
        // Trimmed under us: nothing left to handle.
        if (e.raw === null) gone.push(e.id);
        else window.enqueue(lane, held(lane, e.id, e.raw, e.headers, counts.get(e.id) ?? 1, sent));
      }
      if (gone.length > 0) await backend.ack(ctx.group, new Map([[lane.stream, gone]]));
      after = entries[entries.length - 1]!.id;
      ctx.pump();
      while (ctx.running() && reader.active && window.room() <= 0) await window.waitForRoom();
    }
  }
}

/** One fenced read within the free window; waits (reading nothing) when nothing is new. */
async function readOnce(ctx: ReaderContext, reader: PartitionReader, free: number): Promise<void> {
  const req: LaneReadRequest = {
    group: ctx.group,
    consumer: ctx.consumer,
    streams: reader.lanes.map((l) => l.stream),
    weights: reader.lanes.map((l) => l.weight),
    budget: free,
    ...(reader.fence ? { fence: reader.fence } : {}),
  };
  const sent = performance.now();
  const res = await ctx.backend.readLanes({
    ...req,
    wait: { blockMs: ctx.blockMs, signal: reader.abort.signal, readerKey: reader.key },
  });
  if (res.kind === 'fenced') {
    ctx.onFenced(reader);
    return;
  }
  if (res.kind === 'empty') {
    if (!res.lastIds) return;
    await ctx.backend.waitForEntries({
      streams: req.streams,
      after: res.lastIds,
      blockMs: ctx.blockMs,
      signal: reader.abort.signal,
      readerKey: reader.key,
    });
    return;
  }
  for (const r of res.results) {
    const lane = reader.byStream.get(r.stream);
    if (!lane) continue;
    for (const e of r.entries) ctx.window.enqueue(lane, held(lane, e.id, e.raw, e.headers, 1, sent));
  }
  ctx.pump();
}

/** The read loop of one partition: its own pending first, then new entries while there is room. */
export async function runReader(ctx: ReaderContext, reader: PartitionReader): Promise<void> {
  let backoff = 50;
  try {
    reader.groupsReady = ensureGroups(ctx, reader);
    await reader.groupsReady;
    await readOwnPending(ctx, reader);
  } catch (error) {
    ctx.report(error);
  }
  while (ctx.running() && reader.active) {
    const free = ctx.window.room();
    if (free < ctx.lowWater || free <= 0) {
      await ctx.window.waitForRoom();
      continue;
    }
    try {
      await readOnce(ctx, reader, free);
      backoff = 50;
    } catch (error) {
      if (!ctx.running() || !reader.active) break;
      if (error instanceof AgentbusError && error.code === ERROR_CODES.NOT_FOUND) {
        // The stream or group was deleted under us: create it again.
        await ensureGroups(ctx, reader).catch(ctx.report);
        continue;
      }
      if (error instanceof AgentbusError && error.code === ERROR_CODES.CLOSED) break;
      ctx.report(error);
      await sleep(backoff);
      backoff = Math.min(backoff * 2, 5_000);
    }
  }
}
