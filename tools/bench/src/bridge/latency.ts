/**
 * Pairs each event's commit time (from a writer) with the time its XADD was acknowledged (from
 * the relay process, over IPC). They arrive in either order. Both are wall-clock ms with sub-ms
 * precision (performance.timeOrigin + performance.now()) on one machine.
 */
export interface LatencyTracker {
  committed(eventId: string, at: number): void;
  relayed(eventId: string, publishedAt: number, duplicate: boolean): void;
  /** Commit -> stream latencies of the events both sides reported, ms (negatives clamped to 0). */
  take(): { latencies: number[]; publishedAt: number[]; relayed: number; duplicates: number; clamped: number; lastPublishedAt: number };
  /** Events committed and not yet seen in a stream. */
  pending(): number;
}

export function createLatencyTracker(): LatencyTracker {
  const commits = new Map<string, number>();
  const early = new Map<string, number>();
  let latencies: number[] = [];
  let publishedAts: number[] = [];
  let relayed = 0;
  let duplicates = 0;
  let clamped = 0;
  let lastPublishedAt = Number.NaN;
  const add = (ms: number) => {
    if (ms < 0) clamped++;
    latencies.push(Math.max(0, ms));
  };
  return {
    committed(eventId, at) {
      const published = early.get(eventId);
      if (published === undefined) {
        commits.set(eventId, at);
        return;
      }
      early.delete(eventId);
      add(published - at);
    },
    relayed(eventId, publishedAt, duplicate) {
      relayed++;
      publishedAts.push(publishedAt);
      if (duplicate) duplicates++;
      if (!(publishedAt <= lastPublishedAt)) lastPublishedAt = publishedAt;
      const at = commits.get(eventId);
      if (at === undefined) {
        early.set(eventId, publishedAt);
        return;
      }
      commits.delete(eventId);
      add(publishedAt - at);
    },
    take() {
      const out = { latencies, publishedAt: publishedAts, relayed, duplicates, clamped, lastPublishedAt };
      latencies = [];
      publishedAts = [];
      relayed = 0;
      duplicates = 0;
      clamped = 0;
      lastPublishedAt = Number.NaN;
      return out;
    },
    pending: () => commits.size,
  };
}
