export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Called between attempts; throwing aborts the wait (e.g. the server process died). */
  check?: () => void;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` until it resolves true; rejects with `what` once the time is up. */
export async function waitUntil(what: string, probe: () => Promise<boolean> | boolean, options: WaitOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    options.check?.();
    if (await probe()) return;
    if (Date.now() >= deadline) throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}`);
    await sleep(options.intervalMs ?? 50);
  }
}
