import type { Task } from '@agentbus/schema';
import { decodeOrThrow, decodeStored } from './records';
import type { SwarmContext } from './swarm-context';
import { LEASE_TIME_RE } from './swarm-store';
import { indexKeysOf, missingTask, TASK_READER, transitionOf, type TaskChange } from './task-ops';

/** Index entries read per round trip. */
const PAGE = 100;

/** An in_progress task whose claim lease (canonical ISO `claimed_until`) ran out before `now` (ISO). */
export function leaseExpired(t: Task, now: string): boolean {
  const until = t.claimed_until;
  return t.status === 'in_progress' && typeof until === 'string' && LEASE_TIME_RE.test(until) && until < now;
}

/** Claims with leases: the claim change, the lease, and claimNextTask's walks of the indexes. */
export interface Claims {
  /** `claimed_until` and the lease index score of a lease taken or renewed at `now`. */
  lease(now: number): { set: { claimed_until: string }; leaseScore: number };
  claimChange(id: string, agentId: string, type?: string): TaskChange;
  /** Tries to claim one candidate; the task on success, else why not. */
  tryClaim(id: string, agentId: string, type?: string): Promise<Task | 'gone' | 'taken'>;
  /** Claims, of `type`, a task whose lease ran out, else the oldest pending one, from the indexes. */
  claimFromIndexes(agentId: string, type: string | undefined): Promise<Task | undefined>;
}

/** One index claimNextTask walks: its pages, and which of its tasks belong in it and fit. */
interface IndexWalk {
  index: string;
  page(offset: number): Promise<string[]>;
  /** False: the task's entry belongs elsewhere (its hash changed behind the index). */
  belongs(t: Task): boolean;
  claimable(t: Task): boolean;
}

export function createClaims(ctx: SwarmContext): Claims {
  const { store, keys } = ctx;

  /** `claimed_until` and the lease index score of a lease taken or renewed at `now`. */
  function lease(now: number): { set: { claimed_until: string }; leaseScore: number } {
    const until = now + ctx.options.claimLeaseMs;
    return { set: { claimed_until: new Date(until).toISOString() }, leaseScore: until };
  }

  function claimChange(id: string, agentId: string, type?: string): TaskChange {
    const now = ctx.options.now();
    const l = lease(now);
    return {
      verb: 'claim',
      past: 'claimed',
      hint: 'claimNextTask finds an unclaimed one; an in_progress task can be claimed once its claimed_until has passed',
      from: ['pending'],
      guards: type === undefined ? { assignee: '' } : { assignee: '', type },
      set: { status: 'in_progress', assignee: agentId, updated_at: new Date(now).toISOString(), ...l.set },
      reclaimBefore: new Date(now).toISOString(),
      leaseScore: l.leaseScore,
      guardFailed: (fields) => `cannot claim task ${id}: it is assigned to ${fields.assignee ?? ''} already; claim only unassigned tasks`,
    };
  }

  /** Tries to claim one candidate; the task on success, else why not. */
  async function tryClaim(id: string, agentId: string, type?: string): Promise<Task | 'gone' | 'taken'> {
    const outcome = await store.transitionTask(transitionOf(ctx, id, claimChange(id, agentId, type)));
    if (outcome.kind === 'applied') {
      const key = keys.task(id);
      return decodeOrThrow(key, { type: 'hash', value: outcome.fields }, TASK_READER, () => missingTask(ctx, id));
    }
    return outcome.kind === 'status' || outcome.kind === 'missing' ? 'gone' : 'taken';
  }

  function pendingWalk(): IndexWalk {
    const index = ctx.statusIndex.pending;
    return {
      index,
      page: (offset) => store.indexRange(index, offset, PAGE),
      belongs: (t) => t.status === 'pending',
      claimable: (t) => t.assignee === undefined,
    };
  }

  function expiredLeaseWalk(): IndexWalk {
    const now = ctx.options.now();
    const iso = new Date(now).toISOString();
    return {
      index: ctx.leaseIndex,
      page: (offset) => store.indexRangeUpTo(ctx.leaseIndex, now, offset, PAGE),
      belongs: (t) => t.status === 'in_progress' && typeof t.claimed_until === 'string' && t.claimed_until !== '',
      claimable: (t) => leaseExpired(t, iso),
    };
  }

  async function claimFromIndex(agentId: string, type: string | undefined, walk: IndexWalk): Promise<Task | undefined> {
    const seen = new Set<string>();
    let offset = 0;
    for (;;) {
      const ids = await walk.page(offset);
      // Every entry of the page met already: a stale entry that stays in range would loop forever.
      if (ids.length === 0 || ids.every((id) => seen.has(id))) return undefined;
      const stored = await store.readMany(ids.map((id) => keys.task(id)));
      let gone = 0;
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i]!;
        seen.add(id);
        const d = decodeStored(keys.task(id), stored[i]!, TASK_READER);
        if (!d.ok) {
          if (d.error === undefined) {
            await store.indexRemove(walk.index, [id]);
            gone++;
          }
          continue;
        }
        if (!walk.belongs(d.value)) {
          await store.reindexTask(indexKeysOf(ctx, id));
          gone++;
          continue;
        }
        if (!walk.claimable(d.value) || (type !== undefined && d.value.type !== type)) continue;
        const r = await tryClaim(id, agentId, type);
        if (typeof r !== 'string') return r;
        if (r === 'gone') gone++;
      }
      offset += ids.length - gone;
    }
  }

  return {
    lease,
    claimChange,
    tryClaim,
    claimFromIndexes: async (agentId, type) =>
      (await claimFromIndex(agentId, type, expiredLeaseWalk())) ?? (await claimFromIndex(agentId, type, pendingWalk())),
  };
}
