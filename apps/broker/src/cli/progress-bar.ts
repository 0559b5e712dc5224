/** A progress bar on stderr; silent unless stderr is a terminal, so pipes and logs stay clean. */
export interface ProgressBar {
  update(done: number, total: number): void;
  /** Draws the final state and ends the line. */
  finish(): void;
}

export interface ProgressBarOptions {
  /** Redraws at most this often (ms). Default 80. */
  minIntervalMs?: number;
  now?: () => number;
}

export const DEFAULT_PROGRESS_BAR_OPTIONS = { minIntervalMs: 80 } as const;

export function createProgressBar(
  stream: { write(text: string): unknown; isTTY?: boolean; columns?: number },
  label: string,
  options: ProgressBarOptions = {},
): ProgressBar {
  if (stream.isTTY !== true) return { update: () => undefined, finish: () => undefined };
  const minInterval = options.minIntervalMs ?? DEFAULT_PROGRESS_BAR_OPTIONS.minIntervalMs;
  const now = options.now ?? Date.now;
  let last = -Infinity;
  let state = { done: 0, total: 0 };
  let drawn = false;

  function draw(): void {
    const { done, total } = state;
    const ratio = total > 0 ? Math.min(1, done / total) : 0;
    const counts = ` ${Math.round(ratio * 100)}% ${done}/${total}`;
    const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - label.length - counts.length - 4));
    const full = Math.round(ratio * width);
    stream.write(`\r${label} [${'#'.repeat(full)}${'-'.repeat(width - full)}]${counts}`);
    drawn = true;
  }

  return {
    update(done, total) {
      state = { done, total };
      const t = now();
      if (t - last < minInterval && done < total) return;
      last = t;
      draw();
    },
    finish() {
      if (!drawn && state.total === 0) return;
      draw();
      stream.write('\n');
    },
  };
}
