import { randomUUID } from 'node:crypto';
import { AgentbusError, ERROR_CODES, PRIORITIES, type KeyBuilder } from '@agentbus/schema';
import type { RetentionPolicy, TrimResult } from '../types';
import type { StreamBackend } from './stream-backend';
import type { ResolvedTopic, TopicState } from './topic-config';

/** The retention timer looks for due topics this many times per `trimIntervalMs`. */
const TRIM_TICKS_PER_INTERVAL = 4;

export interface Retention {
  trimTopic(cfg: ResolvedTopic, policy: RetentionPolicy, groups?: Iterable<string>): Promise<TrimResult>;
  stop(): void;
}

/**
 * Retention from a timer over the topics this process knows (idle ones included), one process per
 * topic partition and interval: the first to set the partition's lock trims it, and the lock
 * expires, never released, after `intervalMs`. Each backend trim call does bounded work.
 */
export function startRetention(
  streams: StreamBackend,
  keys: KeyBuilder,
  intervalMs: number,
  known: () => Array<[string, TopicState]>,
): Retention {
  if (!Number.isFinite(intervalMs)) {
    throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, `trimIntervalMs must be a number of ms (0 = only on trim()), got ${intervalMs}`);
  }
  const token = randomUUID();
  let running = false;
  let stopped = false;

  async function trimStreams(t: string, names: readonly string[], policy: RetentionPolicy, now: number): Promise<TrimResult> {
    const droppedKey = keys.topic(t, 'dropped');
    const total: TrimResult = { trimmed: 0, droppedUnacked: 0 };
    for (const name of names) {
      const r = await streams.trim(name, policy, now, droppedKey);
      total.trimmed += r.trimmed;
      total.droppedUnacked += r.droppedUnacked;
    }
    return total;
  }

  const lanesOf = (t: string) => PRIORITIES.map((p) => keys.lane(t, p));
  // A group's inbox (its retries and replays) is trimmed by the same policy, by a process that
  // consumes in that group: only such a process knows the group exists.
  const inboxesOf = (t: string, groups: Iterable<string>) => [...groups].map((g) => keys.group(t, g, 'inbox'));

  function trimPartition(t: string, policy: RetentionPolicy, now: number, groups: Iterable<string>): Promise<TrimResult> {
    return trimStreams(t, [...lanesOf(t), ...inboxesOf(t, groups)], policy, now);
  }

  async function trimTopic(cfg: ResolvedTopic, policy: RetentionPolicy, groups: Iterable<string> = []): Promise<TrimResult> {
    const now = Date.now();
    const total: TrimResult = { trimmed: 0, droppedUnacked: 0 };
    for (const t of cfg.targets) {
      const r = await trimPartition(t.name, policy, now, groups);
      total.trimmed += r.trimmed;
      total.droppedUnacked += r.droppedUnacked;
    }
    return total;
  }

  /** Trims `names` unless another process took `lock` this interval. */
  async function trimIfFirst(t: string, lock: string, names: readonly string[], policy: RetentionPolicy): Promise<void> {
    try {
      if (await streams.tryLock(`${lock}:trim-lock`, token, Math.ceil(intervalMs))) {
        await trimStreams(t, names, policy, Date.now());
      }
    } catch {
      // Redis unreachable or the transport closing: the next interval tries again.
    }
  }

  async function tick(): Promise<void> {
    if (running || stopped) return;
    running = true;
    try {
      const now = Date.now();
      for (const [, s] of known()) {
        if (s.trimDue > now) continue;
        s.trimDue = now + intervalMs;
        for (const t of s.cfg.targets) {
          if (stopped) return;
          await trimIfFirst(t.name, keys.topic(t.name, 'meta'), lanesOf(t.name), s.cfg.retention);
          for (const inbox of inboxesOf(t.name, s.groups)) await trimIfFirst(t.name, inbox, [inbox], s.cfg.retention);
        }
      }
    } finally {
      running = false;
    }
  }

  const timer = intervalMs > 0 ? setInterval(() => void tick(), Math.max(1, Math.floor(intervalMs / TRIM_TICKS_PER_INTERVAL))) : undefined;
  timer?.unref();
  return {
    trimTopic,
    stop() {
      stopped = true;
      if (timer) clearInterval(timer);
    },
  };
}

