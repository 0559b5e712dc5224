export interface CachedRead<T> {
  /**
   * The value, read again when the last one is older than `cacheMs`. Concurrent callers share one
   * read. A read that fails or outlasts `timeoutMs` yields the last good value (or undefined) and
   * calls `onError`; a slow read keeps running and serves the callers after it.
   */
  get(): Promise<T | undefined>;
}

/** Caches an async read, so a scrape every few seconds, or several at once, costs one read. */
export function cachedRead<T>(
  read: () => Promise<T>,
  cacheMs: number,
  timeoutMs: number,
  onError: (error: unknown) => void,
  now: () => number = Date.now,
): CachedRead<T> {
  let value: T | undefined;
  let readAt = Number.NEGATIVE_INFINITY;
  let inFlight: Promise<void> | undefined;

  function refresh(): Promise<void> {
    inFlight ??= read().then(
      (v) => {
        value = v;
        readAt = now();
        inFlight = undefined;
      },
      (error: unknown) => {
        inFlight = undefined;
        onError(error);
      },
    );
    return inFlight;
  }

  return {
    async get() {
      if (now() - readAt < cacheMs) return value;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
        timer.unref?.();
      });
      const outcome = await Promise.race([refresh(), timedOut]);
      clearTimeout(timer);
      if (outcome === 'timeout') onError(new Error(`read took longer than ${timeoutMs} ms; served the last value`));
      return value;
    },
  };
}
