import { DEAD_LETTER_REASONS, type AttemptRecord, type DeadLetter, type DeadLetterReason } from '../dead-letter';
import type { DeadLetterInput } from './reliability-store';
import { PRIORITIES, type Priority } from '@agentbus/schema';

/** The fields of a dead-letter stream entry: flat strings, so any Redis client can read them. */
export function deadLetterFields(input: DeadLetterInput): string[] {
  return [
    'env', input.raw,
    'reason', input.reason,
    'error', input.error,
    'attempts', input.attempts,
    'topic', input.topic,
    'ptopic', input.partitionTopic,
    'lane', input.lane,
    'group', input.group,
    'consumer', input.consumer,
    'sid', input.streamId,
    'at', String(input.at),
  ];
}

function envelopeIdOf(raw: string): string | undefined {
  try {
    const v = JSON.parse(raw) as { id?: unknown };
    return typeof v?.id === 'string' ? v.id : undefined;
  } catch {
    return undefined;
  }
}

function attemptsOf(text: string | undefined): AttemptRecord[] {
  try {
    const v = JSON.parse(text ?? '[]') as unknown;
    return Array.isArray(v) ? (v as AttemptRecord[]) : [];
  } catch {
    return [];
  }
}

/** Reads a dead-letter entry back; fields another program wrote oddly get neutral values. */
export function parseDeadLetter(id: string, fields: Record<string, string>): DeadLetter {
  const reason = (DEAD_LETTER_REASONS as readonly string[]).includes(fields.reason ?? '')
    ? (fields.reason as DeadLetterReason)
    : 'invalid';
  const lane = (PRIORITIES as readonly string[]).includes(fields.lane ?? '') ? (fields.lane as Priority) : 'normal';
  const raw = fields.env ?? '';
  return {
    id,
    topic: fields.topic ?? '',
    partitionTopic: fields.ptopic ?? fields.topic ?? '',
    lane,
    reason,
    error: fields.error ?? '',
    raw,
    envelopeId: envelopeIdOf(raw),
    attempts: attemptsOf(fields.attempts),
    group: fields.group ?? '',
    consumer: fields.consumer ?? '',
    streamId: fields.sid ?? '',
    at: Number(fields.at ?? 0),
  };
}
