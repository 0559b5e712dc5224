import { decodeEnvelope, type Envelope } from '@agentbus/schema';
import type { Headers, Transport } from '@agentbus/transport';
import { compareStreamIds } from '../internal/stream-ids';
import { deadLetterFields, parseDeadLetter } from '../internal/dead-letter-fields';
import type { MoveResult, ReliabilityStore } from '../internal/reliability-store';
import type { DeadLetter } from '../dead-letter';

interface Delayed {
  dueAt: number;
  env: Envelope;
  headers: Headers;
}

type Entry = [string, Record<string, string>];

function inRange(id: string, from: string, to: string): boolean {
  const lower = from === '-' || (from.startsWith('(') ? compareStreamIds(id, from.slice(1)) > 0 : compareStreamIds(id, from) >= 0);
  const upper = to === '+' || (to.startsWith('(') ? compareStreamIds(id, to.slice(1)) < 0 : compareStreamIds(id, to) <= 0);
  return lower && upper;
}

/**
 * Retries and dead letters for the memory backend. Settling is synchronous here, and the
 * consumer acks after onRejected returns, so the two steps cannot be torn apart. Retries are
 * kept per (partition, group) and go back through the transport's group inbox, as on Redis.
 */
export function createMemoryReliabilityStore(transport: Transport, deadLetterMaxLen: number): ReliabilityStore {
  const delayed = new Map<string, Delayed[]>();
  const dlq = new Map<string, Entry[]>();
  const droppedBy = new Map<string, number>();
  let lastMs = 0;
  let seq = 0;
  const slot = (pt: string, group: string) => `${pt}\u0000${group}`;

  function nextId(): string {
    const now = Date.now();
    if (now > lastMs) {
      lastMs = now;
      seq = 0;
    } else seq++;
    return `${lastMs}-${seq}`;
  }

  function capped(pt: string, list: Entry[]): number {
    const excess = deadLetterMaxLen > 0 ? list.length - deadLetterMaxLen : 0;
    if (excess <= 0) return 0;
    list.splice(0, excess);
    droppedBy.set(pt, (droppedBy.get(pt) ?? 0) + excess);
    return excess;
  }

  return {
    async scheduleRetry(ref, dueAt, raw, headers) {
      const decoded = decodeEnvelope(raw);
      // A handler error means it decoded once already; what cannot decode has nowhere to go back to.
      if (!decoded.ok) return false;
      const key = slot(ref.partitionTopic, ref.group);
      const list = delayed.get(key) ?? [];
      list.push({ dueAt, env: decoded.value, headers: JSON.parse(headers) as Headers });
      list.sort((a, b) => a.dueAt - b.dueAt);
      delayed.set(key, list);
      return true;
    },
    async moveDue(pt, group, now, limit): Promise<MoveResult> {
      const list = delayed.get(slot(pt, group)) ?? [];
      let moved = 0;
      while (list.length > 0 && list[0]!.dueAt <= now && moved < limit) {
        // Taken out before the await so a concurrent move cannot publish it too; put back if refused.
        const item = list.shift()!;
        try {
          // A retry is the same envelope again on purpose: dedupe would take it for a duplicate.
          await transport.publish(pt, item.env, { group, headers: item.headers, dedupeWindowMs: 0 });
        } catch (error) {
          list.unshift(item);
          throw error;
        }
        moved++;
      }
      return { moved, nextDueAt: list[0]?.dueAt ?? null };
    },
    // The memory backend keeps nothing across versions: there is no set of version 1 to drain.
    moveLegacyDue: async () => ({ moved: 0, nextDueAt: null }),
    async deadLetter(input) {
      const list = dlq.get(input.partitionTopic) ?? [];
      const fields = deadLetterFields(input);
      const rec: Record<string, string> = {};
      for (let i = 0; i < fields.length; i += 2) rec[fields[i]!] = fields[i + 1]!;
      const id = nextId();
      list.push([id, rec]);
      dlq.set(input.partitionTopic, list);
      return { id, dropped: capped(input.partitionTopic, list) };
    },
    async list(pt, from, to, count) {
      const out: DeadLetter[] = [];
      for (const [id, f] of dlq.get(pt) ?? []) {
        if (out.length >= count) break;
        if (inRange(id, from, to)) out.push(parseDeadLetter(id, f));
      }
      return out;
    },
    async get(pt, id) {
      const hit = (dlq.get(pt) ?? []).find(([have]) => have === id);
      return hit ? parseDeadLetter(hit[0], hit[1]) : undefined;
    },
    async tail(pt) {
      const list = dlq.get(pt) ?? [];
      return { depth: list.length, lastId: list.at(-1)?.[0] ?? null };
    },
    async remove(pt, ids) {
      const list = dlq.get(pt) ?? [];
      const drop = new Set(ids);
      const kept = list.filter(([id]) => !drop.has(id));
      dlq.set(pt, kept);
      return list.length - kept.length;
    },
    async clear(pt) {
      const n = dlq.get(pt)?.length ?? 0;
      dlq.delete(pt);
      return n;
    },
    async depth(pt) {
      return dlq.get(pt)?.length ?? 0;
    },
    async delayed(pt, group) {
      return delayed.get(slot(pt, group))?.length ?? 0;
    },
    legacyDelayed: async () => 0,
    async dropped(pt) {
      return droppedBy.get(pt) ?? 0;
    },
  };
}
