/** Exponential backoff: `min`, doubling per failure up to `max`, with up to 20% jitter downwards. */
export interface Backoff {
  /** The wait after one more failure. */
  next(): number;
  reset(): void;
  readonly failures: number;
}

export function createBackoff(minMs: number, maxMs: number, random: () => number = Math.random): Backoff {
  let failures = 0;
  return {
    next() {
      const base = Math.min(maxMs, minMs * 2 ** Math.min(failures, 30));
      failures++;
      // Jitter so relays that failed together (Redis went away) do not retry in lockstep.
      return Math.round(base * (1 - 0.2 * random()));
    },
    reset() {
      failures = 0;
    },
    get failures() {
      return failures;
    },
  };
}
