import { decodeEnvelope } from '@agentbus/schema';
import type { Transport } from '@agentbus/transport';
import { deadLetterFields, parseDeadLetter } from '../internal/dead-letter-fields';
import type { ReliabilityStore } from '../internal/reliability-store';
import type { DeadLetter } from '../dead-letter';

interface Delayed {
  dueAt: number;
  raw: string;
  headers: string;
}

/**
 * Retries and dead letters for the memory backend. Settling is synchronous here, and the
 * consumer acks after onRejected returns, so the two steps cannot be torn apart.
 */
export function createMemoryReliabilityStore(transport: Transport): ReliabilityStore {
  const delayed = new Map<string, Delayed[]>();
  const dlq = new Map<string, Array<[string, Record<string, string>]>>();
  let lastMs = 0;
  let seq = 0;

  function nextId(): string {
    const now = Date.now();
    if (now > lastMs) {
      lastMs = now;
      seq = 0;
    } else seq++;
    return `${lastMs}-${seq}`;
  }

  return {
    async scheduleRetry(ref, dueAt, raw, headers) {
      const list = delayed.get(ref.partitionTopic) ?? [];
      list.push({ dueAt, raw, headers });
      list.sort((a, b) => a.dueAt - b.dueAt);
      delayed.set(ref.partitionTopic, list);
      return true;
    },
    async moveDue(pt, now, limit) {
      const list = delayed.get(pt);
      if (!list) return 0;
      let moved = 0;
      while (list.length > 0 && list[0]!.dueAt <= now && moved < limit) {
        const item = list.shift()!;
        const decoded = decodeEnvelope(item.raw);
        // A retried message decoded once before; publishing it again keeps its lane (priority).
        if (decoded.ok) await transport.publish(pt, decoded.value, { headers: JSON.parse(item.headers) as Record<string, never> });
        moved++;
      }
      return moved;
    },
    async deadLetter(input) {
      const list = dlq.get(input.partitionTopic) ?? [];
      const fields = deadLetterFields(input);
      const rec: Record<string, string> = {};
      for (let i = 0; i < fields.length; i += 2) rec[fields[i]!] = fields[i + 1]!;
      const id = nextId();
      list.push([id, rec]);
      dlq.set(input.partitionTopic, list);
      return id;
    },
    async list(pt, from, to, count) {
      const lo = from === '-' ? '' : from;
      const inRange = (id: string) => (lo === '' || cmp(id, lo) >= 0) && (to === '+' || cmp(id, to) <= 0);
      return (dlq.get(pt) ?? []).filter(([id]) => inRange(id)).slice(0, count).map(([id, f]): DeadLetter => parseDeadLetter(id, f));
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
    async delayed(pt) {
      return delayed.get(pt)?.length ?? 0;
    },
  };
}

function cmp(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am !== bm ? am - bm : (as ?? 0) - (bs ?? 0);
}
