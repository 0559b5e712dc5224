type HookFn = (...args: unknown[]) => void;

/**
 * One hooks object that calls every given one's hook in order, e.g. the metrics and the tracing
 * reliability hooks: `createReliability(bus, { hooks: combineHooks(metrics.reliabilityHooks(),
 * tracingReliabilityHooks()) })`. Reads each object's own enumerable functions; undefined entries
 * are skipped. Every hook runs even when an earlier one throws; the first error is rethrown after.
 */
export function combineHooks<H extends object>(...hooks: ReadonlyArray<H | undefined>): H {
  const present = hooks.filter((h): h is H => h !== undefined);
  const names = new Set(present.flatMap((h) => Object.keys(h)));
  const out: Record<string, HookFn> = {};
  for (const name of names) {
    const fns = present
      .map((h) => (h as Record<string, unknown>)[name])
      .filter((f): f is HookFn => typeof f === 'function');
    if (fns.length === 0) continue;
    out[name] =
      fns.length === 1
        ? fns[0]!
        : (...args: unknown[]) => {
            let first: { error: unknown } | undefined;
            for (const f of fns) {
              try {
                f(...args);
              } catch (error) {
                first ??= { error };
              }
            }
            if (first) throw first.error;
          };
  }
  return out as H;
}
