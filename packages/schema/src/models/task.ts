import { z } from 'zod';
import type { KeyBuilder } from '../keys';
import { defineModel, hashCodec } from '../internal/model';
import { jsonObjectSchema, keyPartSchema, lenientEnum, optionalText, timestampSchema } from './fields';

/**
 * Task lifecycle, in the lower-case values Python agents store (`TaskStatus.PENDING.value` is
 * `pending`). Upper-case names are read too and normalised, so `PENDING` decodes as `pending`;
 * encoding always writes the lower-case value that Python's `TaskStatus(...)` accepts.
 */
export const TASK_STATUSES = [
  'pending',
  'in_progress',
  'needs_assist',
  'completed',
  'failed',
  'blocked',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Tasks expire a day after their last write, as Python agents set them. */
export const TASK_TTL_SECONDS = 24 * 60 * 60;

/**
 * `task:{id}`, a Redis HASH. `data` is a JSON object stored as JSON text in its field; an empty
 * `assignee` means unassigned. Fields Python agents add (`ttl_seconds`, ...) are kept as strings.
 */
export const taskSchema = z.looseObject({
  id: keyPartSchema,
  status: lenientEnum(TASK_STATUSES),
  description: z.string(),
  type: z.string(),
  data: jsonObjectSchema.default({}),
  /** Agent working on the task; absent when unassigned. */
  assignee: optionalText(256),
  created_at: timestampSchema,
  updated_at: timestampSchema,
  /** Outcome text of a completed task. */
  result: optionalText(),
  /** Reason of a failed or blocked task. */
  error: optionalText(),
});
export type Task = z.output<typeof taskSchema>;

export const TaskModel = defineModel({
  name: 'task',
  schema: taskSchema,
  codec: hashCodec(taskSchema, 'task'),
  key: (keys: KeyBuilder, id: string) => keys.task(id),
  ttlSeconds: TASK_TTL_SECONDS,
});
