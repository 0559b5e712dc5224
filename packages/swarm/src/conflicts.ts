import type { Finding, SpeechAct } from '@agentbus/schema';

/**
 * Speech acts that deny a claim. A finding with one of these says its claim is false, so it
 * disagrees with a finding that states the same claim with a positive act.
 */
export const NEGATIVE_SPEECH_ACTS: readonly SpeechAct[] = ['reject', 'refuse', 'failure'];

/** Why two findings disagree. */
export type DisagreementReason = 'different_claims' | 'opposed_acts';

/** Two findings of one task that disagree, with confidences further apart than the threshold. */
export interface FindingConflict {
  task_id: string;
  /** The more confident finding. */
  higher: Finding;
  /** The less confident finding. */
  lower: Finding;
  /** higher.confidence - lower.confidence. */
  gap: number;
  reason: DisagreementReason;
}

/** Floating-point slack: 0.8 - 0.5 is 0.30000000000000004, which is not "more than 0.3". */
const EPSILON = 1e-9;

/**
 * A claim's text for comparison: Unicode-normalised, lower-case, whitespace collapsed, trailing
 * punctuation dropped, so `Redis 7 is required.` and `redis 7  is required` are the same claim.
 */
export function normaliseClaim(claim: string): string {
  return claim
    .normalize('NFKC')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[\s.!?;:,]+$/u, '');
}

/**
 * Whether two findings disagree, and why:
 * - `different_claims`: their normalised claims differ (two workers answered the same task
 *   differently);
 * - `opposed_acts`: the same claim, but exactly one of them denies it (a speech act in
 *   NEGATIVE_SPEECH_ACTS).
 * Returns undefined when they agree (same claim, both affirm or both deny it).
 */
export function disagreement(a: Finding, b: Finding): DisagreementReason | undefined {
  if (normaliseClaim(a.claim) !== normaliseClaim(b.claim)) return 'different_claims';
  const negative = (f: Finding) => NEGATIVE_SPEECH_ACTS.includes(f.speech_act);
  return negative(a) !== negative(b) ? 'opposed_acts' : undefined;
}

/**
 * The conflicts among one task's findings: every pair that disagrees (see `disagreement`) and
 * whose confidences differ by more than `threshold` (a gap equal to it is no conflict). Largest
 * gap first. Findings of the same worker are compared too: a worker contradicting itself with
 * very different confidence is worth a look as well.
 */
export function findConflicts(taskId: string, findings: readonly Finding[], threshold: number): FindingConflict[] {
  const conflicts: FindingConflict[] = [];
  for (let i = 0; i < findings.length; i++) {
    for (let j = i + 1; j < findings.length; j++) {
      const a = findings[i]!;
      const b = findings[j]!;
      const gap = Math.abs(a.confidence - b.confidence);
      if (gap <= threshold + EPSILON) continue;
      const reason = disagreement(a, b);
      if (reason === undefined) continue;
      const [higher, lower] = a.confidence >= b.confidence ? [a, b] : [b, a];
      conflicts.push({ task_id: taskId, higher, lower, gap, reason });
    }
  }
  return conflicts.sort((x, y) => y.gap - x.gap || x.higher.id.localeCompare(y.higher.id) || x.lower.id.localeCompare(y.lower.id));
}
