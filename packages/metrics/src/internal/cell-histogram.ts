import { Histogram, type HistogramConfiguration } from 'prom-client';
import { CellIndex } from './cell-index';

type HistogramObject = Awaited<ReturnType<Histogram['get']>>;
type HistogramValue = HistogramObject['values'][number];

// prom-client 15 builds a histogram's series in this method (missing from its typings); the
// subclass below extends it.
const baseGetForPromString = (Histogram.prototype as unknown as { getForPromString: (this: Histogram) => Promise<HistogramObject> })
  .getForPromString;

/**
 * The observations of one label set, kept in plain numbers: `observe` is a bucket search and
 * three additions, where prom-client's own observe hashes and validates the labels every call
 * (about 300 ns; this is about 10). The registry reads cells only when it is scraped.
 */
export class HistogramCell {
  /** Observations per bucket, not cumulative; the last slot is above the largest bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    private readonly bounds: Float64Array,
    readonly labels: Readonly<Record<string, string>>,
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && value > b[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }

  clear(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}

/**
 * A prom-client Histogram whose hot-path label sets are HistogramCells: it is registered, typed,
 * reset and exposed like any Histogram (direct `observe` calls still work and are merged in), and
 * it reports its cells in the standard `_bucket{le}`, `_sum`, `_count` series.
 */
export class CellHistogram<T extends string = string> extends Histogram<T> {
  private readonly cells: CellIndex<HistogramCell>;
  private readonly bounds: Float64Array;
  private readonly seriesName: string;

  constructor(config: Omit<HistogramConfiguration<T>, 'buckets' | 'labelNames'> & { buckets: readonly number[]; labelNames: readonly T[] }) {
    // Without labels prom-client keeps a series of its own from the start, which a cell would duplicate.
    if (config.labelNames.length === 0) throw new TypeError(`${config.name}: a CellHistogram needs at least one label`);
    super({ ...config, buckets: [...config.buckets] });
    this.bounds = Float64Array.from(config.buckets);
    this.seriesName = config.name;
    this.cells = new CellIndex(config.labelNames, (labels) => new HistogramCell(this.bounds, labels));
  }

  /** The cell of these label values (in `labelNames` order), created once and kept. */
  cell(...values: string[]): HistogramCell {
    return this.cells.get(values);
  }

  /**
   * The text exposition and `get()` both read this in prom-client 15 (`get` adds only a reshaping
   * of the labels), so the cells are appended here, in prom-client's own value shape: `le` in
   * `labels`, the label set in `sharedLabels`.
   */
  async getForPromString(): Promise<HistogramObject> {
    const base = await baseGetForPromString.call(this);
    const bucket = `${this.seriesName}_bucket`;
    for (const c of this.cells.values()) {
      // An untouched cell is left out, as prom-client leaves out label sets never observed.
      if (c.count === 0) continue;
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += c.counts[i]!;
        base.values.push(value({ le: this.bounds[i]! }, c.labels, cumulative, bucket));
      }
      base.values.push(value({ le: '+Inf' }, c.labels, c.count, bucket));
      base.values.push(value({}, c.labels, c.sum, `${this.seriesName}_sum`));
      base.values.push(value({}, c.labels, c.count, `${this.seriesName}_count`));
    }
    return base;
  }

  override reset(): void {
    super.reset();
    // Cells are held by the hooks' per-topic caches: zero them, never drop them. (prom-client's
    // constructor calls reset() before this class's fields exist, hence the `?.`.)
    for (const c of this.cells?.values() ?? []) c.clear();
  }
}

function value(
  labels: Record<string, string | number>,
  sharedLabels: Readonly<Record<string, string>>,
  v: number,
  metricName: string,
): HistogramValue {
  return { labels: labels as HistogramValue['labels'], sharedLabels, value: v, metricName } as HistogramValue;
}
