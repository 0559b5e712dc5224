import { spawn, type ChildProcess } from 'node:child_process';
import { onCleanup } from '../lifecycle';

export interface ServerProcess {
  readonly pid: number;
  /** Stops it (SIGTERM, SIGKILL after 5 s). Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts a server as its own process (so it has its own event loop and CPU, like in production)
 * and resolves once a stdout line matches `ready`. Registered for cleanup on every exit path.
 */
export async function startServerProcess(
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
  timeoutMs = 30_000,
): Promise<ServerProcess & { line: string }> {
  const child: ChildProcess = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      if (!exited) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exit;
        clearTimeout(t);
      }
      unregister();
    })();
    return stopping;
  };
  const unregister = onCleanup(name, stop, () => {
    if (!exited) child.kill('SIGKILL');
  });
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within ${timeoutMs} ms: ${output.slice(-2000)}`)), timeoutMs);
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      output = (output + chunk).slice(-8000);
      const hit = output.split('\n').find((l) => ready.test(l));
      if (hit) {
        clearTimeout(timer);
        resolve(hit);
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      output = (output + chunk).slice(-8000);
    });
    void exit.then(() => {
      clearTimeout(timer);
      reject(new Error(`${name} exited before it was ready: ${output.slice(-2000)}`));
    });
  }).catch(async (e: unknown) => {
    await stop();
    throw e;
  });
  return { pid: child.pid ?? 0, stop, line };
}

/** Runs `fn` over `items` with at most `limit` at once. */
export async function inBatches<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (i < items.length) await fn(items[i++] as T);
  });
  await Promise.all(workers);
}
