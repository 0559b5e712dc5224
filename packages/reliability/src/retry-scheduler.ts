import type { ReliabilityStore } from './internal/reliability-store';

/** What the scheduler needs of a consumer: which group it is and which partitions it reads now. */
export interface ScheduledConsumer {
  readonly topic: string;
  readonly group: string;
  partitions(): readonly number[];
}

export interface RetrySchedulerOptions {
  store: ReliabilityStore;
  partitionsOf(topic: string): string[];
  /** How often each watched consumer looks at its sets. */
  intervalMs: number;
  /** Longest a set is left unchecked: other processes may have added retries to it. */
  recheckMs: number;
}

/** A (topic, group) pair a consumer polls, with the partitions it owns at the moment. */
export interface PolledGroup {
  topic: string;
  group: string;
  partitions: readonly number[];
}

export interface RetryScheduler {
  /** Moves due retries of the consumer's group on the partitions it owns, every interval; returns stop. */
  watch(consumer: ScheduledConsumer, onError?: (error: Error) => void): () => void;
  /** A retry was just scheduled in this set: look at it again by `dueAt`. */
  scheduled(partitionTopic: string, group: string, dueAt: number): void;
  /** What the watched consumers poll now. */
  polled(): PolledGroup[];
  /** Moves every due retry of these groups on every partition of the topic, now. */
  moveAll(topic: string, groups: readonly string[]): Promise<number>;
  close(): void;
}

// One call moves at most this many, so it never holds Redis long; a full slice loops at once.
const SLICE = 500;

const toError = (e: unknown) => (e instanceof Error ? e : new Error(String(e)));

/**
 * Moves due retries back into their group's inbox. Each consumer polls only its own group's sets
 * of the partitions it owns, and remembers when each set next has something due (the move script
 * answers that), so an idle set costs one call per `recheckMs`, not one per tick: with 256
 * partitions and 20 processes, most ticks issue no command at all.
 */
export function createRetryScheduler(o: RetrySchedulerOptions): RetryScheduler {
  // When a set is next worth a call; absent: now. Keyed by partition topic and group.
  const nextLook = new Map<string, number>();
  // The same for version 1's per-topic sets, keyed by partition topic.
  const nextLegacyLook = new Map<string, number>();
  const watched = new Map<ScheduledConsumer, NodeJS.Timeout>();
  const slot = (pt: string, group: string) => `${pt}\u0000${group}`;

  async function drain(pt: string, group: string, force: boolean): Promise<number> {
    const key = slot(pt, group);
    if (!force && (nextLook.get(key) ?? 0) > Date.now()) return 0;
    let moved = 0;
    for (;;) {
      const r = await o.store.moveDue(pt, group, Date.now(), SLICE);
      moved += r.moved;
      if (r.moved < SLICE) {
        // Replies come in order on one connection, so a retry scheduled after this move lowers
        // the mark after this line ran; recheckMs bounds anything missed.
        nextLook.set(key, Math.min(r.nextDueAt ?? Infinity, Date.now() + o.recheckMs));
        return moved;
      }
    }
  }

  async function drainLegacy(pt: string, force: boolean): Promise<number> {
    if (!force && (nextLegacyLook.get(pt) ?? 0) > Date.now()) return 0;
    let moved = 0;
    for (;;) {
      const r = await o.store.moveLegacyDue(pt, Date.now(), SLICE);
      moved += r.moved;
      if (r.moved < SLICE) {
        // Nothing writes these sets any more: once empty, never look again.
        nextLegacyLook.set(pt, r.nextDueAt === null ? Infinity : Math.min(r.nextDueAt, Date.now() + o.recheckMs));
        return moved;
      }
    }
  }

  async function tick(c: ScheduledConsumer): Promise<void> {
    const pts = o.partitionsOf(c.topic);
    const owned = c.partitions().flatMap((p) => (pts[p] === undefined ? [] : [pts[p]]));
    await Promise.all(owned.map(async (pt) => {
      await drain(pt, c.group, false);
      await drainLegacy(pt, false);
    }));
  }

  return {
    watch(c, onError) {
      let busy = false;
      const timer = setInterval(() => {
        if (busy) return;
        busy = true;
        tick(c)
          .catch((e: unknown) => onError?.(toError(e)))
          .finally(() => (busy = false));
      }, o.intervalMs);
      timer.unref?.();
      watched.set(c, timer);
      return () => {
        clearInterval(timer);
        watched.delete(c);
      };
    },
    scheduled(pt, group, dueAt) {
      const key = slot(pt, group);
      const at = nextLook.get(key);
      if (at !== undefined && dueAt < at) nextLook.set(key, dueAt);
    },
    polled: () => [...watched.keys()].map((c) => ({ topic: c.topic, group: c.group, partitions: [...c.partitions()] })),
    async moveAll(topic, groups) {
      const pts = o.partitionsOf(topic);
      const counts = await Promise.all(
        pts.flatMap((pt) => [drainLegacy(pt, true), ...groups.map((g) => drain(pt, g, true))]),
      );
      return counts.reduce((a, b) => a + b, 0);
    },
    close() {
      for (const timer of watched.values()) clearInterval(timer);
      watched.clear();
    },
  };
}
