import { Counter, Gauge, type Registry } from 'prom-client';
import { breakerStateValue, type CircuitBreakerLike } from './breaker-state';
import { METRIC_NAMES as N } from './metric-names';

export interface BreakerMetrics {
  /** Reports the breaker under `name`; returns a function that stops (and removes its series). */
  watch(breaker: CircuitBreakerLike, name: string): () => void;
  /** Stops every watch. */
  close(): void;
}

/**
 * agentbus_circuit_breaker_state and _transitions_total. The state is read again at each scrape:
 * a breaker turns from open to half-open lazily, inside `state()`, without a change event.
 */
export function createBreakerMetrics(registry: Registry): BreakerMetrics {
  const watched = new Map<string, { breaker: CircuitBreakerLike; off: () => void }>();
  const transitions = new Counter({
    name: N.breakerTransitions,
    help: 'Circuit breaker state changes, by the state entered.',
    labelNames: ['name', 'to'],
    registers: [registry],
  });
  const state = new Gauge({
    name: N.breakerState,
    help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open (-1 unknown).',
    labelNames: ['name'],
    registers: [registry],
    collect() {
      for (const [name, w] of watched) this.set({ name }, breakerStateValue(w.breaker.state()));
    },
  });

  function unwatch(name: string): void {
    const w = watched.get(name);
    if (!w) return;
    w.off();
    watched.delete(name);
    state.remove({ name });
  }

  return {
    watch(breaker, name) {
      // One breaker per name: a second watch under the same name replaces the first.
      unwatch(name);
      const off = breaker.onStateChange((to) => {
        transitions.inc({ name, to });
        state.set({ name }, breakerStateValue(to));
      });
      watched.set(name, { breaker, off });
      state.set({ name }, breakerStateValue(breaker.state()));
      let done = false;
      return () => {
        if (done) return;
        done = true;
        if (watched.get(name)?.breaker === breaker) unwatch(name);
      };
    },
    close() {
      for (const name of [...watched.keys()]) unwatch(name);
    },
  };
}
