import type { RetentionPolicy, Transport, TrimResult } from '@agentbus/transport';

export interface SteppedTrimOptions {
  /** Steps a long trim is cut into. Default 20. */
  steps?: number;
  /** Below this many entries to remove, one step. Default 10000. */
  minEntriesForSteps?: number;
  now?: () => number;
}

export const DEFAULT_STEPPED_TRIM_OPTIONS = { steps: 20, minEntriesForSteps: 10_000 } as const;

/**
 * Applies a retention policy in steps, so a trim of millions of entries shows progress (and
 * holds Redis for one step at a time) instead of one long call: the length target (or the age
 * cutoff) is approached in equal steps, then the policy itself is applied. Each step is the
 * transport's own trim, so every step keeps its guarantee: never past an entry some group has
 * not acked (unless the policy is a hard cap).
 */
export async function trimInSteps(
  transport: Transport,
  topic: string,
  policy: RetentionPolicy | undefined,
  onProgress: (done: number, total: number) => void,
  options: SteppedTrimOptions = {},
): Promise<TrimResult> {
  const steps = options.steps ?? DEFAULT_STEPPED_TRIM_OPTIONS.steps;
  const minEntries = options.minEntriesForSteps ?? DEFAULT_STEPPED_TRIM_OPTIONS.minEntriesForSteps;
  const now = options.now ?? Date.now;
  const stats = await transport.stats(topic);
  const plan: RetentionPolicy[] = [];
  if (policy && stats.length - Math.min(policy.hardMaxLen ?? Infinity, policy.maxLen ?? Infinity) >= minEntries) {
    const hard = policy.hardMaxLen !== undefined && policy.hardMaxLen <= (policy.maxLen ?? Infinity);
    const target = hard ? policy.hardMaxLen! : policy.maxLen!;
    for (let i = 1; i < steps; i++) {
      const len = Math.round(stats.length - ((stats.length - target) * i) / steps);
      plan.push(hard ? { hardMaxLen: len } : { maxLen: len });
    }
  } else if (policy?.maxAgeMs !== undefined && stats.firstId !== null && stats.length >= minEntries) {
    const oldest = Number(stats.firstId.split('-')[0]);
    const cutoff = now() - policy.maxAgeMs;
    for (let i = 1; i < steps && cutoff > oldest; i++) plan.push({ maxAgeMs: now() - Math.round(oldest + ((cutoff - oldest) * i) / steps) });
  }
  const total = plan.length + 1;
  const sum: TrimResult = { trimmed: 0, droppedUnacked: 0 };
  onProgress(0, total);
  for (const [i, step] of plan.entries()) {
    const r = await transport.trim(topic, step);
    sum.trimmed += r.trimmed;
    sum.droppedUnacked += r.droppedUnacked;
    onProgress(i + 1, total);
  }
  const last = await transport.trim(topic, policy);
  sum.trimmed += last.trimmed;
  sum.droppedUnacked += last.droppedUnacked;
  onProgress(total, total);
  return sum;
}
