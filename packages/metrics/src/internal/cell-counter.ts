import { Counter, type CounterConfiguration } from 'prom-client';
import { CellIndex } from './cell-index';

/** A count of one label set, incremented on the hot path as a plain number. */
export class CounterCell {
  n = 0;
  /** What the Counter has been told so far. */
  reported = 0;

  constructor(readonly labels: Readonly<Record<string, string>>) {}
}

/**
 * A prom-client Counter fed from CounterCells: each scrape adds what the cells counted since the
 * last one (prom-client's own `inc` hashes the labels every call; a cell is one addition).
 * Direct `inc` calls still work beside the cells.
 */
export class CellCounter<T extends string = string> extends Counter<T> {
  private readonly cells: CellIndex<CounterCell>;

  constructor(config: CounterConfiguration<T> & { labelNames: readonly T[] }) {
    super(config);
    this.cells = new CellIndex(config.labelNames, (labels) => new CounterCell(labels));
  }

  /** The cell of these label values (in `labelNames` order), created once and kept. */
  cell(...values: string[]): CounterCell {
    return this.cells.get(values);
  }

  override async get(): Promise<Awaited<ReturnType<Counter<T>['get']>>> {
    for (const c of this.cells.values()) {
      const delta = c.n - c.reported;
      if (delta > 0) {
        this.inc(c.labels as Partial<Record<T, string>>, delta);
        c.reported = c.n;
      }
    }
    return super.get();
  }
}
