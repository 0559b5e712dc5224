import type { Task, TaskStatus } from '@agentbus/schema';
import type { SwarmList } from '../swarm-list';
import { decodeStored, invalidEntry } from './records';
import { isQuarantined } from './scan';
import type { SwarmContext } from './swarm-context';
import { indexKeysOf, TASK_READER } from './task-ops';

/** Index entries read per round trip. */
const PAGE = 100;

function byCreation(a: Task, b: Task): number {
  return a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id);
}

/** Reading tasks in bulk: from the status indexes (healing them on the way), or by SCAN. */
export interface TaskListing {
  /** Every task hash under the namespace, decoded, by created_at; bad ones in `invalid`. */
  scanTasks(): Promise<{ tasks: Array<[string, Task]>; invalid: SwarmList<Task>['invalid'] }>;
  listFromIndex(statuses: readonly TaskStatus[], type: string | undefined, limit: number): Promise<SwarmList<Task>>;
}

export function createTaskListing(ctx: SwarmContext): TaskListing {
  const { store, keys } = ctx;
  const taskPrefix = keys.task('x').slice(0, -1);

  /** Every task hash under the namespace, decoded; bad ones in `invalid`. */
  async function scanTasks(): Promise<{ tasks: Array<[string, Task]>; invalid: SwarmList<Task>['invalid'] }> {
    const tasks: Array<[string, Task]> = [];
    const invalid: SwarmList<Task>['invalid'] = [];
    for await (const page of store.scan(`${taskPrefix}*`, ctx.options.scanCount)) {
      const live = page.filter((k) => !isQuarantined(k));
      const stored = await store.readMany(live);
      live.forEach((key, i) => {
        const d = decodeStored(key, stored[i]!, TASK_READER);
        if (d.ok) tasks.push([key.slice(taskPrefix.length), d.value]);
        else if (d.error) invalid.push(invalidEntry(d.error));
      });
    }
    tasks.sort(([, a], [, b]) => byCreation(a, b));
    return { tasks, invalid };
  }

  async function listFromIndex(statuses: readonly TaskStatus[], type: string | undefined, limit: number): Promise<SwarmList<Task>> {
    const items: Task[] = [];
    const invalid: SwarmList<Task>['invalid'] = [];
    for (const status of statuses) {
      const index = ctx.statusIndex[status];
      let offset = 0;
      while (items.length < limit) {
        const ids = await store.indexRange(index, offset, PAGE);
        if (ids.length === 0) break;
        const stored = await store.readMany(ids.map((id) => keys.task(id)));
        let gone = 0;
        for (let i = 0; i < ids.length && items.length < limit; i++) {
          const id = ids[i]!;
          const d = decodeStored(keys.task(id), stored[i]!, TASK_READER);
          if (!d.ok) {
            if (d.error) invalid.push(invalidEntry(d.error));
            else {
              await store.indexRemove(index, [id]);
              gone++;
            }
          } else if (d.value.status !== status) {
            // Changed by an agent that does not keep the index: put the entry where it belongs.
            await store.reindexTask(indexKeysOf(ctx, id));
            gone++;
          } else if (type === undefined || d.value.type === type) items.push(d.value);
        }
        offset += ids.length - gone;
      }
    }
    return { items, invalid };
  }

  return { scanTasks, listFromIndex };
}
