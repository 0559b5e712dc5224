/**
 * What this package needs of a circuit breaker: the shape of @agentbus/reliability's
 * `createCircuitBreaker()` result, stated structurally so metrics does not depend on that package.
 */
export interface CircuitBreakerLike {
  /** Used as the `name` label when `watchBreaker` is given none. */
  readonly name?: string;
  /** `closed`, `half-open` or `open`. */
  state(): string;
  /** Called on every state change; returns a function that removes the listener. */
  onStateChange(listener: (to: string, from: string) => void): () => void;
}

/** agentbus_circuit_breaker_state values: ordered by how bad, so `max()` over instances is the worst. */
export const BREAKER_STATE_VALUES: Readonly<Record<string, number>> = {
  closed: 0,
  'half-open': 1,
  open: 2,
};

/** The gauge value of a breaker state; -1 for a state this package does not know. */
export function breakerStateValue(state: string): number {
  // hasOwn: a state named like an Object.prototype member must not read one.
  return Object.hasOwn(BREAKER_STATE_VALUES, state) ? BREAKER_STATE_VALUES[state]! : -1;
}
