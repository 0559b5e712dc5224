import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { ValidationError } from '../errors';
import { createKeyBuilder, type KeyBuilder } from '../keys';
import { unwrap } from '../result';
import { TASK_STATUSES, TASK_TTL_SECONDS, TaskModel, type Task, type TaskStatus } from './task';

// JSON has no -0: compare values as they survive JSON.stringify.
const jsonValue = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown);

// Exactly what Task.to_hash() of the Python agents hands to HSET (decode_responses=True).
const pythonHash = {
  id: 'a1b2c3d4',
  description: 'Research feature X',
  data: '{"query": "redis streams", "depth": 2}',
  type: 'research',
  status: 'in_progress',
  assignee: 'haiku-1',
  created_at: '2025-11-30T09:15:02.123456',
  updated_at: '2025-11-30T09:16:40.654321',
  ttl_seconds: '86400',
};

const task: Task = {
  id: 't-1',
  status: 'completed',
  description: 'summarise findings',
  type: 'synthesize',
  data: { sources: ['if://citation/abc'], limit: 3 },
  assignee: 'haiku-2',
  created_at: '2025-11-30T09:00:00.000Z',
  updated_at: '2025-11-30T10:00:00.000Z',
  result: 'done: 3 findings',
};

describe('TaskModel', () => {
  it('keeps the task:{id} key shape, bare or under the namespace, with a 24 h TTL', () => {
    expect(TaskModel.key(createKeyBuilder(''), 'a1b2c3d4')).toBe('task:a1b2c3d4');
    expect(TaskModel.key(createKeyBuilder(), 'a1b2c3d4')).toBe('agentbus:task:a1b2c3d4');
    expect(() => TaskModel.key(createKeyBuilder(), 'has space')).toThrow(/task id/);
    expect(TaskModel.format).toBe('hash');
    expect(TaskModel.ttlSeconds).toBe(TASK_TTL_SECONDS);
    expect(TASK_TTL_SECONDS).toBe(86_400);
  });

  it('types the status, the key ids and the hash fields for callers', () => {
    expectTypeOf<Task['status']>().toEqualTypeOf<TaskStatus>();
    expectTypeOf(TaskModel.key).parameters.toEqualTypeOf<[KeyBuilder, string]>();
    expectTypeOf(TaskModel.encode).returns.toEqualTypeOf<Record<string, string>>();
  });

  it('reads a hash written by a Python agent', () => {
    const t = unwrap(TaskModel.decode(pythonHash));
    expect(t).toEqual({
      id: 'a1b2c3d4',
      description: 'Research feature X',
      data: { query: 'redis streams', depth: 2 },
      type: 'research',
      status: 'in_progress',
      assignee: 'haiku-1',
      created_at: '2025-11-30T09:15:02.123Z',
      updated_at: '2025-11-30T09:16:40.654Z',
      ttl_seconds: '86400',
    });
  });

  it('writes what a Python agent reads back: lower-case status, JSON data, "" for unassigned', () => {
    const fields = TaskModel.encode({ ...task, assignee: undefined, status: 'pending' });
    expect(fields.status).toBe('pending');
    expect(fields.assignee).toBe('');
    expect(JSON.parse(fields.data!)).toEqual(task.data);
    expect(Object.values(fields).every((v) => typeof v === 'string')).toBe(true);
  });

  it('reads an empty assignee as unassigned and status names in upper case', () => {
    const t = unwrap(TaskModel.decode({ ...pythonHash, assignee: '', status: 'NEEDS_ASSIST' }));
    expect(t.assignee).toBeUndefined();
    expect(t.status).toBe('needs_assist');
  });

  it('reads epoch timestamps and normalises them to ISO', () => {
    const t = unwrap(TaskModel.decode({ ...pythonHash, created_at: '1764494102.5', updated_at: '1764494102500' }));
    expect(t.created_at).toBe('2025-11-30T09:15:02.500Z');
    expect(t.updated_at).toBe('2025-11-30T09:15:02.500Z');
  });

  it('round-trips through the hash', () => {
    expect(unwrap(TaskModel.decode(TaskModel.encode(task)))).toEqual(task);
  });

  it.each([
    ['id', '', 'invalid_format'],
    ['status', 'started', 'invalid_value'],
    ['data', '[1,2]', 'invalid_type'],
    ['data', 'not json', 'invalid_type'],
    ['created_at', 'last tuesday', 'invalid_format'],
    ['updated_at', '2025-02-30T00:00:00', 'invalid_format'],
    ['assignee', 'x'.repeat(257), 'too_big'],
  ])('names the field of a bad %s (%j) and its rule', (field, value, rule) => {
    const r = TaskModel.decode({ ...pythonHash, [field]: value });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toBeInstanceOf(ValidationError);
    expect(r.error.issues[0]).toMatchObject({ path: field, rule });
    expect(r.error.message).toContain(`invalid task: ${field}`);
  });

  it('rejects a missing required field by name', () => {
    const { description: _, ...noDescription } = pythonHash;
    const r = TaskModel.decode(noDescription);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.issues[0]).toMatchObject({ path: 'description', rule: 'invalid_type' });
  });

  it('throws a ValidationError on encode of an invalid task', () => {
    expect(() => TaskModel.encode({ ...task, status: 'done' as Task['status'] })).toThrow(ValidationError);
  });

  it('round-trips any valid task (property)', () => {
    const iso = fc.date({ min: new Date(0), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
    const arb = fc.record(
      {
        id: fc.stringMatching(/^[A-Za-z0-9._:-]{1,40}$/),
        status: fc.constantFrom(...TASK_STATUSES),
        description: fc.string(),
        type: fc.string(),
        data: fc.dictionary(fc.string().filter((k) => k !== '__proto__'), jsonValue),
        assignee: fc.string({ minLength: 1, maxLength: 256 }),
        created_at: iso,
        updated_at: iso,
        result: fc.string({ minLength: 1 }),
        error: fc.string({ minLength: 1 }),
      },
      { requiredKeys: ['id', 'status', 'description', 'type', 'data', 'created_at', 'updated_at'] },
    );
    fc.assert(
      fc.property(arb, (t) => {
        const back = unwrap(TaskModel.decode(TaskModel.encode(t)));
        expect(back).toEqual(t);
      }),
    );
  });
});
