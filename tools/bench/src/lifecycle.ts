/**
 * Cleanup that must run however a bench ends: normally, on an error, or on Ctrl-C. A bench
 * registers what it started (a redis-server, a temp dir); `runCleanups` runs them once, last
 * registered first. On SIGINT/SIGTERM the cleanups run and the process exits 130/143. On a plain
 * `process.exit` the synchronous fallbacks run (kill the child, remove the dir).
 */

interface Cleanup {
  name: string;
  run: () => Promise<void> | void;
  /** Synchronous last resort for process 'exit' (no awaiting possible there). */
  sync?: () => void;
}

const cleanups: Cleanup[] = [];
let installed = false;
let running: Promise<void> | null = null;

function install(): void {
  if (installed) return;
  installed = true;
  const onSignal = (signal: NodeJS.Signals, code: number) => {
    console.error(`\nbench: ${signal}, stopping`);
    // A second signal while cleaning up exits at once (the 'exit' hook still kills children).
    process.once(signal, () => process.exit(code));
    const timer = setTimeout(() => process.exit(code), 10_000);
    timer.unref();
    void runCleanups().finally(() => process.exit(code));
  };
  process.once('SIGINT', () => onSignal('SIGINT', 130));
  process.once('SIGTERM', () => onSignal('SIGTERM', 143));
  process.on('exit', () => {
    for (const c of cleanups.splice(0).reverse()) {
      try {
        c.sync?.();
      } catch {
        // exiting anyway
      }
    }
  });
}

/** Registers a cleanup; returns a function that unregisters it (after it ran by other means). */
export function onCleanup(name: string, run: () => Promise<void> | void, sync?: () => void): () => void {
  install();
  const entry: Cleanup = sync ? { name, run, sync } : { name, run };
  cleanups.push(entry);
  return () => {
    const i = cleanups.indexOf(entry);
    if (i >= 0) cleanups.splice(i, 1);
  };
}

/** Runs every registered cleanup once (last registered first); errors are reported, not thrown. */
export function runCleanups(): Promise<void> {
  running ??= (async () => {
    while (cleanups.length > 0) {
      const c = cleanups.pop() as Cleanup;
      try {
        await c.run();
      } catch (e) {
        console.error(`bench: cleanup ${c.name} failed: ${(e as Error).message}`);
      }
    }
  })().finally(() => {
    running = null;
  });
  return running;
}
