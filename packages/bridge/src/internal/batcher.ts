/**
 * Gathers items handed in one at a time (by concurrent handlers) into batches: a batch runs when
 * it holds `size` items or `waitMs` after its first item, and batches run one after another, so
 * items are processed in the order they arrived. Each `add` resolves with its item's result.
 */
export interface Batcher<T, R> {
  add(item: T): Promise<R>;
  /** Items waiting for their batch to start. */
  waiting(): number;
}

interface Pending<T, R> {
  item: T;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

export function createBatcher<T, R>(size: number, waitMs: number, run: (items: T[]) => Promise<readonly R[]>): Batcher<T, R> {
  let pending: Pending<T, R>[] = [];
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();

  async function runBatch(batch: Pending<T, R>[]): Promise<void> {
    try {
      const results = await run(batch.map((p) => p.item));
      if (results.length !== batch.length) {
        throw new Error(`processBatch returned ${results.length} results for ${batch.length} messages`);
      }
      batch.forEach((p, i) => p.resolve(results[i]!));
    } catch (error) {
      for (const p of batch) p.reject(error);
    }
  }

  function flush(): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    chain = chain.then(() => runBatch(batch));
  }

  return {
    add(item) {
      return new Promise<R>((resolve, reject) => {
        pending.push({ item, resolve, reject });
        if (pending.length >= size) flush();
        else timer ??= setTimeout(flush, waitMs);
      });
    },
    waiting: () => pending.length,
  };
}
