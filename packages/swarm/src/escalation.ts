import { createEnvelope, encodeEnvelope, TaskModel, uuidv7, type Envelope, type HashFields, type Task, type TaskStatus } from '@agentbus/schema';
import { partitionFor } from '@agentbus/transport';
import type { z } from 'zod';
import { conflict } from './errors';
import { escalateInputSchema, type EscalateInput } from './inputs';
import { parseInput } from './internal/parse';
import { decodeOrThrow } from './internal/records';
import type { SwarmContext } from './internal/swarm-context';
import { ownTtlSeconds } from './internal/swarm-store';
import { indexKeysOf, missingTask, refusal, TASK_READER, type TaskChange } from './internal/task-ops';
import { casBackoff } from './internal/update-record';

/** Type of the envelopes on the escalations stream. */
export const ESCALATION_TYPE = 'swarm.escalation';

/** The payload of an escalation envelope. */
export interface EscalationPayload {
  task_id: string;
  reason: string;
  /** The agent that escalated (also the envelope's `from`). */
  agent_id: string;
  finding_ids: string[];
  /** The task's status before it was marked needs_assist. */
  previous_status: TaskStatus;
  /** The task as marked. */
  task: Task;
}

export interface EscalationResult {
  /** The task, now needs_assist, with `escalation_id` and `escalation_reason` fields. */
  task: Task;
  /** The escalation envelope's id (also the task's `escalation_id`). */
  id: string;
  topic: string;
  /**
   * The entry id on the escalations stream; `''` in the rare case the write's reply was lost
   * and its retry found the escalation done (the entry is there, its id unknown).
   */
  streamId: string;
}

/** Hands a task to a human. */
export interface SwarmEscalation {
  /**
   * Marks the task needs_assist (with `escalation_id` and `escalation_reason`) and appends an
   * escalation envelope (act `escalate`, type `swarm.escalation`) to the escalations stream in
   * one atomic step: the stream has an entry exactly for each mark, and a failed escalate leaves
   * both the task and the stream as they were. The envelope carries the task as marked and its
   * status before, read in the same step (a concurrent claim lands wholly before or after it).
   * Only open tasks (pending, in_progress, needs_assist, blocked) can be escalated; a completed
   * or failed one is a CONFLICT. An escalated task is not taken back when its claim lease runs out.
   */
  escalate(taskId: string, input: EscalateInput): Promise<EscalationResult>;
}

const OPEN: readonly TaskStatus[] = ['pending', 'in_progress', 'needs_assist', 'blocked'];

const ESCALATE: TaskChange = {
  verb: 'escalate',
  past: 'escalated',
  hint: 'it is closed already; create a follow-up task',
  from: OPEN,
  set: {},
};

/** The stream key transport.publish would XADD this envelope to: the topic partition of its id, the lane of its priority. */
function streamKey(ctx: SwarmContext, env: Envelope): string {
  const partitions = ctx.transport.partitionsOf(ctx.options.escalationTopic);
  const name = partitions[partitionFor(env.id, partitions.length)] ?? ctx.options.escalationTopic;
  return ctx.keys.lane(name, env.priority);
}

export function createSwarmEscalation(ctx: SwarmContext): SwarmEscalation {
  /**
   * One attempt against the hash as read now: the envelope is built from it, and the store
   * writes only while the hash is still exactly that. undefined when it changed in between.
   */
  async function attempt(taskId: string, id: string, i: z.output<typeof escalateInputSchema>): Promise<EscalationResult | undefined> {
    const key = ctx.keys.task(taskId);
    const stored = await ctx.store.read(key);
    const before = decodeOrThrow(key, stored, TASK_READER, () => missingTask(ctx, taskId));
    const fields: HashFields = stored.type === 'hash' ? stored.value : {};
    // An earlier attempt of this call was applied but its reply lost (ioredis resends a script
    // after a reconnect, and the resent one found the hash changed): escalating again would
    // append a second entry. The entry id is not known here.
    if (fields.escalation_id === id) return { task: before, id, topic: ctx.options.escalationTopic, streamId: '' };
    if (!OPEN.includes(before.status)) throw refusal(ctx, taskId, ESCALATE, { kind: 'status', fields });
    const set = { status: 'needs_assist', updated_at: ctx.isoNow(), escalation_id: id, escalation_reason: i.reason };
    const task = decodeOrThrow(key, { type: 'hash', value: { ...fields, ...set } }, TASK_READER, () => missingTask(ctx, taskId));
    const payload: EscalationPayload = { task_id: taskId, reason: i.reason, agent_id: i.agent_id, finding_ids: i.finding_ids, previous_status: before.status, task };
    const env = createEnvelope({ id, type: ESCALATION_TYPE, from: i.agent_id, to: ctx.options.escalationRecipient, act: 'escalate', priority: i.priority, payload });
    const entry = encodeEnvelope(env);
    if (!entry.ok) throw entry.error;
    const outcome = await ctx.store.escalateTask({
      ...indexKeysOf(ctx, taskId),
      expected: fields,
      set,
      ttlSeconds: ownTtlSeconds(fields, TaskModel.ttlSeconds),
      stream: streamKey(ctx, env),
      entry: entry.value,
      append: async () => (await ctx.transport.publish(ctx.options.escalationTopic, env)).streamId,
    });
    switch (outcome.kind) {
      case 'changed':
        return undefined;
      case 'applied': {
        const marked = decodeOrThrow(key, { type: 'hash', value: outcome.fields }, TASK_READER, () => missingTask(ctx, taskId));
        return { task: marked, id, topic: ctx.options.escalationTopic, streamId: outcome.streamId };
      }
      default:
        throw refusal(ctx, taskId, ESCALATE, outcome);
    }
  }

  return {
    async escalate(taskId, input) {
      const i = parseInput(escalateInputSchema, input, 'escalation input');
      const id = uuidv7(ctx.options.now());
      for (let n = 0; n <= ctx.options.maxCasRetries; n++) {
        const done = await attempt(taskId, id, i);
        if (done) return done;
        await casBackoff(n);
      }
      throw conflict(
        `task ${taskId} changed ${ctx.options.maxCasRetries + 1} times while it was being escalated: too many writers at once; try again (or raise maxCasRetries)`,
      );
    },
  };
}
