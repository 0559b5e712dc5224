import type { Rejection } from '@agentbus/transport';
import type { MetricSet } from './metric-set';

/**
 * The hooks @agentbus/reliability's `createReliability(transport, { hooks })` calls, stated
 * structurally (a `reason` of any string) so this package does not depend on reliability.
 */
export interface ReliabilityHooksLike {
  onRetry?(topic: string, attempt: number, delayMs: number, rejection: Rejection): void;
  onDeadLetter?(topic: string, reason: string, rejection: Rejection): void;
  onReplay?(topic: string, count: number): void;
  onDeadLetterDropped?(topic: string, count: number): void;
}

export function createReliabilityMetricsHooks(set: MetricSet): Required<ReliabilityHooksLike> {
  return {
    onRetry(topic: string): void {
      set.retried.inc({ topic });
    },
    onDeadLetter(topic: string, reason: string): void {
      set.deadLettered.inc({ topic, reason });
    },
    onReplay(topic: string, count: number): void {
      set.replayed.inc({ topic }, count);
    },
    onDeadLetterDropped(topic: string, count: number): void {
      set.deadLettersDropped.inc({ topic }, count);
    },
  };
}
