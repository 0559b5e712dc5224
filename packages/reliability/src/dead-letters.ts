import { AgentbusError, assertTopic, decodeEnvelope, ERROR_CODES, isAgentbusError, type Envelope } from '@agentbus/schema';
import type { PublishOptions, Transport } from '@agentbus/transport';
import type { DeadLetter, ReplayOptions, ReplayResult, ReplaySelection } from './dead-letter';
import type { ReliabilityStore } from './internal/reliability-store';
import { compareStreamIds, isStreamId } from './internal/stream-ids';

/** List, inspect, replay and purge a topic's dead letters. */
export interface DeadLetters {
  /** Oldest first, partition by partition; at most `count` (default 100). */
  list(topic: string, options?: { from?: string; to?: string; count?: number }): Promise<DeadLetter[]>;
  get(topic: string, id: string): Promise<DeadLetter | undefined>;
  /**
   * Publishes the selected dead letters again, then removes them, a page at a time. By default
   * each goes back to the group it died in only; see ReplayOptions.
   */
  replay(topic: string, selection: ReplaySelection, options?: ReplayOptions): Promise<ReplayResult>;
  /** Removes the selected dead letters (or all); returns how many. */
  purge(topic: string, selection?: { ids: readonly string[] } | 'all'): Promise<number>;
  /** Dead letters waiting, over all partitions: for metrics and alerts. */
  depth(topic: string): Promise<number>;
  /** Dead letters the `deadLetterMaxLen` cap has dropped, over all partitions, since the counters exist. */
  dropped(topic: string): Promise<number>;
}

export const DEFAULT_REPLAY_PAGE_SIZE = 100;
// Lookups by id issued together: a page of ids times the partitions each may be in.
const LOOKUPS_PER_TRIP = 1_000;

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

function invalid(message: string): AgentbusError {
  return new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, message);
}

/** Checks the options before anything is published; returns the page size. */
function checkReplayOptions(o: ReplayOptions): number {
  if (o.to !== undefined) {
    try {
      assertTopic(o.to);
    } catch (error) {
      throw invalid(`replay: option to: ${(error as Error).message}`);
    }
  }
  const n = o.pageSize ?? DEFAULT_REPLAY_PAGE_SIZE;
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw invalid(`replay: pageSize must be an integer from 1 to 10000, got ${n}`);
  return n;
}

function countOf(what: string, count: number | undefined, fallback: number): number {
  const n = count ?? fallback;
  if (n !== Infinity && (!Number.isInteger(n) || n < 1)) throw invalid(`${what}: count must be a positive integer, got ${n}`);
  return n;
}

/** A replay in progress: what it has done, and where each dead letter goes. */
class ReplayRun {
  readonly result: ReplayResult = { replayed: 0, skipped: [] };
  done = 0;
  total = 0;

  constructor(
    private readonly transport: Transport,
    private readonly store: ReliabilityStore,
    private readonly o: ReplayOptions,
  ) {}

  private target(d: DeadLetter): [string, PublishOptions] {
    const headers = { attempt: 1, replayedFrom: d.id, history: d.attempts as unknown as Array<unknown> };
    // A replay is a deliberate second copy of an envelope already published: the topic's dedupe
    // window would take it for a retry of the first and write nothing, and the dead letter would
    // then be removed unreplayed.
    const copy = { headers, dedupeWindowMs: 0 };
    if (this.o.to !== undefined) return [this.o.to, copy];
    // A dead letter another program wrote without a group can only go to every group.
    if (this.o.allGroups === true || d.group === '') return [d.partitionTopic, copy];
    return [d.partitionTopic, { ...copy, group: d.group }];
  }

  private send(d: DeadLetter, env: Envelope): Promise<unknown> {
    const [topic, options] = this.target(d);
    return this.transport.publish(topic, env, options);
  }

  /**
   * Publishes a page at once (ioredis pipelines them), then removes what was published in one
   * XDEL per partition: published first, removed after, so a crash in between replays a message
   * twice but never loses one.
   */
  async page(letters: readonly DeadLetter[]): Promise<void> {
    const decoded = letters.map((d) => decodeEnvelope(d.raw));
    const sent = await Promise.allSettled(letters.map((d, i) => {
      const r = decoded[i]!;
      return r.ok ? this.send(d, r.value) : Promise.reject(r.error);
    }));
    const published = new Map<string, string[]>();
    let outage: unknown;
    sent.forEach((s, i) => {
      const d = letters[i]!;
      if (s.status === 'fulfilled') {
        published.set(d.partitionTopic, [...(published.get(d.partitionTopic) ?? []), d.id]);
        return;
      }
      // What cannot be published as it is (not an envelope, too large, ...) stays a dead letter;
      // an outage stops the replay.
      const error = s.reason as Error;
      if (!decoded[i]!.ok || (isAgentbusError(error) && !(error as AgentbusError).retryable)) {
        this.result.skipped.push({ id: d.id, error: error.message });
      } else outage ??= error;
    });
    await Promise.all([...published].map(([pt, ids]) => this.store.remove(pt, ids)));
    this.result.replayed += sum([...published.values()].map((ids) => ids.length));
    if (outage !== undefined) throw outage;
  }

  progress(advance: number): void {
    this.done += advance;
    this.o.onProgress?.(this.done, Math.max(this.total, this.done));
  }
}

/** Dead-letter operations over a store, paged so a DLQ of any size replays in bounded memory. */
export function createDeadLetters(
  transport: Transport,
  store: ReliabilityStore,
  onReplay: ((topic: string, count: number) => void) | undefined,
): DeadLetters {
  const perPartition = async (topic: string, fn: (pt: string) => Promise<number>) =>
    sum(await Promise.all(transport.partitionsOf(topic).map(fn)));

  async function replayIds(run: ReplayRun, pts: readonly string[], wanted: readonly string[], pageSize: number): Promise<void> {
    const ids = [...new Set(wanted)];
    const bad = ids.find((id) => !isStreamId(id));
    if (bad !== undefined) throw invalid(`replay: ids holds ${JSON.stringify(bad)}, which is not a dead-letter id (ms-seq)`);
    run.total = ids.length;
    // Which partition holds an id is not known: each is looked up alone (XRANGE id id) in every one.
    const chunk = Math.max(1, Math.min(pageSize, Math.floor(LOOKUPS_PER_TRIP / pts.length)));
    for (let i = 0; i < ids.length; i += chunk) {
      const slice = ids.slice(i, i + chunk);
      const found = await Promise.all(slice.flatMap((id) => pts.map((pt) => store.get(pt, id))));
      await run.page(found.filter((d): d is DeadLetter => d !== undefined));
      run.progress(slice.length);
    }
  }

  async function replayRange(
    run: ReplayRun,
    pts: readonly string[],
    range: { from?: string; to?: string; count?: number },
    pageSize: number,
  ): Promise<void> {
    const from = range.from ?? '-';
    const to = range.to ?? '+';
    let remaining = countOf('replay', range.count, Infinity);
    const tails = await Promise.all(pts.map((pt) => store.tail(pt)));
    run.total = Math.min(remaining, sum(tails.map((t) => t.depth)));
    for (const [i, pt] of pts.entries()) {
      const { lastId } = tails[i]!;
      if (lastId === null) continue;
      // Stop at the newest dead letter present at the start: what dies again during the replay
      // is not replayed again by it.
      const end = to === '+' || (isStreamId(to) && compareStreamIds(to, lastId) > 0) ? lastId : to;
      let cursor = from;
      while (remaining > 0) {
        const want = Math.min(pageSize, remaining);
        const page = await store.list(pt, cursor, end, want);
        if (page.length === 0) break;
        await run.page(page);
        remaining -= page.length;
        run.progress(page.length);
        if (page.length < want) break;
        cursor = `(${page.at(-1)!.id}`;
      }
    }
    if (run.done < run.total) {
      run.total = run.done;
      run.progress(0);
    }
  }

  return {
    async list(topic, opts = {}) {
      const count = countOf('list', opts.count, 100);
      const pts = transport.partitionsOf(topic);
      // Only partitions that hold any are read, one after the other until `count` are found.
      const depths = pts.length === 1 ? [1] : await Promise.all(pts.map((pt) => store.depth(pt)));
      const out: DeadLetter[] = [];
      for (const [i, pt] of pts.entries()) {
        if (depths[i] === 0) continue;
        out.push(...(await store.list(pt, opts.from ?? '-', opts.to ?? '+', count - out.length)));
        if (out.length >= count) break;
      }
      return out;
    },
    async get(topic, id) {
      if (!isStreamId(id)) return undefined;
      const found = await Promise.all(transport.partitionsOf(topic).map((pt) => store.get(pt, id)));
      return found.find((d) => d !== undefined);
    },
    async replay(topic, selection, opts = {}) {
      const pageSize = checkReplayOptions(opts);
      const pts = transport.partitionsOf(topic);
      const run = new ReplayRun(transport, store, opts);
      if (selection !== 'all' && 'ids' in selection) await replayIds(run, pts, selection.ids, pageSize);
      else await replayRange(run, pts, selection === 'all' ? {} : selection, pageSize);
      if (run.result.replayed > 0) onReplay?.(topic, run.result.replayed);
      return run.result;
    },
    purge: (topic, selection = 'all') =>
      perPartition(topic, (pt) => (selection === 'all' ? store.clear(pt) : store.remove(pt, selection.ids))),
    depth: (topic) => perPartition(topic, (pt) => store.depth(pt)),
    dropped: (topic) => perPartition(topic, (pt) => store.dropped(pt)),
  };
}
