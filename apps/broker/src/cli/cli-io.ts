/** Where a CLI command writes and what it reads: the process's streams, or a test's buffers. */
export interface CliIo {
  stdout: { write(text: string): unknown };
  /** Errors, progress bars (only when `isTTY`) and status lines. */
  stderr: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
  /** Aborted on SIGINT / SIGTERM: `tail` and `consume` stop gracefully. */
  signal: AbortSignal;
}
