/**
 * Pairs each event's commit times (from a writer) with the time its XADD was acknowledged (from
 * the relay process, over IPC). They arrive in either order. All are wall-clock ms with sub-ms
 * precision (performance.timeOrigin + performance.now()) on one machine.
 *
 * The moment a commit becomes visible to the relay lies somewhere between the writer sending
 * COMMIT and the writer's event loop seeing the acknowledgement: a busy writer process can see it
 * late, after the relay already published. So commit -> stream is bounded from both sides:
 * XADD ack - COMMIT ack (at least; negative when the writer saw its ack after the XADD) and
 * XADD ack - COMMIT sent (at most; it includes the commit's own round trip, WAL flush and all).
 * Nothing is clamped: negatives stay in the percentiles and are counted.
 */
export interface CommitTimes {
  /** Just before the COMMIT was sent. */
  sentAt: number;
  /** When the writer saw it acknowledged. */
  ackAt: number;
}

export interface LatencyTake {
  /** XADD ack - COMMIT ack per event, ms: the lower bound. */
  fromAck: number[];
  /** XADD ack - COMMIT sent per event, ms: the upper bound. */
  fromSent: number[];
  publishedAt: number[];
  relayed: number;
  duplicates: number;
  /** Events whose lower / upper bound came out negative (kept as they are in the figures). */
  negativeFromAck: number;
  negativeFromSent: number;
  lastPublishedAt: number;
}

export interface LatencyTracker {
  committed(eventId: string, at: CommitTimes): void;
  relayed(eventId: string, publishedAt: number, duplicate: boolean): void;
  /** Both bounds of every event both sides reported since the last take. */
  take(): LatencyTake;
  /** Events committed and not yet seen in a stream. */
  pending(): number;
}

function emptyTake(): LatencyTake {
  return { fromAck: [], fromSent: [], publishedAt: [], relayed: 0, duplicates: 0, negativeFromAck: 0, negativeFromSent: 0, lastPublishedAt: Number.NaN };
}

export function createLatencyTracker(): LatencyTracker {
  const commits = new Map<string, CommitTimes>();
  const early = new Map<string, number>();
  let cur = emptyTake();
  const add = (publishedAt: number, c: CommitTimes) => {
    const lower = publishedAt - c.ackAt;
    const upper = publishedAt - c.sentAt;
    if (lower < 0) cur.negativeFromAck++;
    if (upper < 0) cur.negativeFromSent++;
    cur.fromAck.push(lower);
    cur.fromSent.push(upper);
  };
  return {
    committed(eventId, at) {
      const published = early.get(eventId);
      if (published === undefined) {
        commits.set(eventId, at);
        return;
      }
      early.delete(eventId);
      add(published, at);
    },
    relayed(eventId, publishedAt, duplicate) {
      cur.relayed++;
      cur.publishedAt.push(publishedAt);
      if (duplicate) cur.duplicates++;
      if (!(publishedAt <= cur.lastPublishedAt)) cur.lastPublishedAt = publishedAt;
      const at = commits.get(eventId);
      if (at === undefined) {
        early.set(eventId, publishedAt);
        return;
      }
      commits.delete(eventId);
      add(publishedAt, at);
    },
    take() {
      const out = cur;
      cur = emptyTake();
      return out;
    },
    pending: () => commits.size,
  };
}
