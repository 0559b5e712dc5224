/**
 * A bounded FIFO with one "in flight" slot: the head is taken out to be sent, and either done
 * (gone) or put back at the front, so a failed send keeps its place and order holds. The in-flight
 * entry still counts toward the bound, so putting it back never overflows.
 */
export interface Spool<T> {
  readonly maxEntries: number;
  /** Weight held, the in-flight entry included. */
  size(): number;
  /** Entries held, the in-flight entry included. */
  length(): number;
  /** Whether an entry of this weight fits now. */
  fits(weight: number): boolean;
  /** Appends; false (and nothing stored) when it does not fit. */
  push(item: T): boolean;
  /** The next entry to send (not the in-flight one). */
  peek(): T | undefined;
  /** Takes the next entry out to send it; undefined when empty or one is already in flight. */
  take(): T | undefined;
  inFlight(): T | undefined;
  /** The in-flight entry was sent: it leaves the spool. */
  done(): void;
  /** The in-flight entry failed: it goes back to the front. */
  putBack(): void;
  /** Removes waiting entries from the front while `pred` holds (the in-flight one stays). */
  shiftWhile(pred: (item: T) => boolean): T[];
  /** Removes every waiting entry (the in-flight one stays) and returns them in order. */
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
  let flying: { item: T } | undefined;

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

  return {
    maxEntries,
    size: () => held,
    length: () => items.length - head + (flying ? 1 : 0),
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
      if (flying) return undefined;
      const item = shift();
      if (item !== undefined) flying = { item };
      return item;
    },
    inFlight: () => flying?.item,
    done() {
      if (!flying) return;
      held -= weight(flying.item);
      flying = undefined;
    },
    putBack() {
      if (!flying) return;
      if (head > 0) items[--head] = flying.item;
      else items.unshift(flying.item);
      flying = undefined;
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
