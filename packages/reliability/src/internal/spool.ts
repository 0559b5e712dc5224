/**
 * A bounded FIFO whose head entries are taken out to be sent (several at once while draining),
 * and each either done (gone) or put back at the front, so failed sends keep their place and
 * order holds. Entries in flight still count toward the bound, so putting them back never
 * overflows.
 */
export interface Spool<T> {
  readonly maxEntries: number;
  /** Weight held, the entries in flight included. */
  size(): number;
  /** Entries held, the entries in flight included. */
  length(): number;
  /** Whether an entry of this weight fits now. */
  fits(weight: number): boolean;
  /** Appends; false (and nothing stored) when it does not fit. */
  push(item: T): boolean;
  /** The next entry to send (not one in flight). */
  peek(): T | undefined;
  /** Takes the next entry out to send it; undefined when none is waiting. */
  take(): T | undefined;
  /** The entries in flight, oldest first. */
  inFlight(): readonly T[];
  /** An entry in flight was sent: it leaves the spool. */
  done(item: T): void;
  /** Entries in flight that failed (given oldest first) go back to the front, in that order. */
  putBack(items: readonly T[]): void;
  /** Removes waiting entries from the front while `pred` holds (those in flight stay). */
  shiftWhile(pred: (item: T) => boolean): T[];
  /** Removes every waiting entry (those in flight stay) and returns them in order. */
  clear(): T[];
}

export interface SpoolOptions<T> {
  /** Largest total weight held. */
  maxEntries: number;
  /** Weight of an entry (e.g. the messages of a batch). Default 1. */
  weight?: (item: T) => number;
}

export function createSpool<T>(options: SpoolOptions<T>): Spool<T> {
  const { maxEntries } = options;
  const weight = options.weight ?? (() => 1);
  // Array with a moving head: shift is O(1) amortised, compaction copies only now and then.
  let items: T[] = [];
  let head = 0;
  let held = 0;
  const flying: T[] = [];

  function compact(): void {
    if (head > 1024 && head * 2 > items.length) {
      items = items.slice(head);
      head = 0;
    }
  }

  function shift(): T | undefined {
    if (head >= items.length) return undefined;
    const item = items[head]!;
    items[head] = undefined as T;
    head++;
    compact();
    return item;
  }

  function land(item: T): boolean {
    const i = flying.indexOf(item);
    if (i < 0) return false;
    flying.splice(i, 1);
    return true;
  }

  return {
    maxEntries,
    size: () => held,
    length: () => items.length - head + flying.length,
    fits: (w) => held + w <= maxEntries,
    push(item) {
      const w = weight(item);
      if (held + w > maxEntries) return false;
      items.push(item);
      held += w;
      return true;
    },
    peek: () => (head < items.length ? items[head] : undefined),
    take() {
      const item = shift();
      if (item !== undefined) flying.push(item);
      return item;
    },
    inFlight: () => flying,
    done(item) {
      if (land(item)) held -= weight(item);
    },
    putBack(failed) {
      const back = failed.filter(land);
      if (back.length === 0) return;
      // Unused slots before the head take them back without moving the waiting entries.
      if (head >= back.length) {
        head -= back.length;
        back.forEach((item, i) => (items[head + i] = item));
      } else {
        items = [...back, ...items.slice(head)];
        head = 0;
      }
    },
    shiftWhile(pred) {
      const out: T[] = [];
      while (head < items.length && pred(items[head]!)) {
        const item = shift()!;
        held -= weight(item);
        out.push(item);
      }
      return out;
    },
    clear() {
      const out = items.slice(head);
      for (const item of out) held -= weight(item);
      items = [];
      head = 0;
      return out;
    },
  };
}
