import { createEnvelope, uuidv7, type Task, type TaskStatus } from '@agentbus/schema';
import { escalateInputSchema, type EscalateInput } from './inputs';
import { parseInput } from './internal/parse';
import type { SwarmContext } from './internal/swarm-context';
import { changeTask, transitionOf } from './internal/task-ops';

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
  /** The entry id on the escalations stream. */
  streamId: string;
}

/** Hands a task to a human. */
export interface SwarmEscalation {
  /**
   * Marks the task needs_assist (atomically, with its status index) and appends an escalation
   * envelope (act `escalate`, type `swarm.escalation`) to the escalations stream via
   * transport.publish. The two are separate writes: the mark comes first, and if the publish
   * fails the mark is undone (unless the task changed meanwhile) and the error is thrown, so a
   * failed escalate leaves the task as it was. Only open tasks (pending, in_progress,
   * needs_assist, blocked) can be escalated; a completed or failed one is a CONFLICT.
   */
  escalate(taskId: string, input: EscalateInput): Promise<EscalationResult>;
}

const OPEN: readonly TaskStatus[] = ['pending', 'in_progress', 'needs_assist', 'blocked'];
const ESCALATION_FIELDS = ['escalation_id', 'escalation_reason'] as const;

export function createSwarmEscalation(ctx: SwarmContext): SwarmEscalation {
  return {
    async escalate(taskId, input) {
      const i = parseInput(escalateInputSchema, input, 'escalation input');
      const id = uuidv7(ctx.options.now());
      const { task, before } = await changeTask(ctx, taskId, {
        verb: 'escalate',
        past: 'escalated',
        hint: 'it is closed already; create a follow-up task',
        from: OPEN,
        set: { status: 'needs_assist', updated_at: ctx.isoNow(), escalation_id: id, escalation_reason: i.reason },
      });
      const previous = (before.status ?? '').toLowerCase() as TaskStatus;
      const payload: EscalationPayload = { task_id: taskId, reason: i.reason, agent_id: i.agent_id, finding_ids: i.finding_ids, previous_status: previous, task };
      const env = createEnvelope({
        id,
        type: ESCALATION_TYPE,
        from: i.agent_id,
        to: ctx.options.escalationRecipient,
        act: 'escalate',
        priority: i.priority,
        payload,
      });
      try {
        const published = await ctx.transport.publish(ctx.options.escalationTopic, env);
        return { task, id, topic: ctx.options.escalationTopic, streamId: published.streamId };
      } catch (error) {
        await undo(ctx, taskId, id, before).catch(() => undefined);
        throw error;
      }
    },
  };
}

/** Puts status, updated_at and the escalation fields back as read, if the task still carries this escalation. */
async function undo(ctx: SwarmContext, taskId: string, escalationId: string, before: Record<string, string>): Promise<void> {
  const set: Record<string, string> = { status: (before.status ?? '').toLowerCase(), updated_at: before.updated_at ?? ctx.isoNow() };
  const unset: string[] = [];
  for (const f of ESCALATION_FIELDS) {
    if (before[f] === undefined) unset.push(f);
    else set[f] = before[f];
  }
  await ctx.store.transitionTask(
    transitionOf(ctx, taskId, { verb: 'undo escalation', past: 'undone', from: ['needs_assist'], guards: { escalation_id: escalationId }, set, unset }),
  );
}
