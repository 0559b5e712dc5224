/**
 * The cells of one metric by label values: each created on first use and kept, so a caller that
 * holds its cell pays no lookup per observation.
 */
export class CellIndex<C> {
  private readonly byKey = new Map<string, C>();

  constructor(
    private readonly labelNames: readonly string[],
    private readonly make: (labels: Record<string, string>) => C,
  ) {}

  /** The cell of these label values (in `labelNames` order). */
  get(values: readonly string[]): C {
    const key = values.join('\u0000');
    let c = this.byKey.get(key);
    if (!c) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((n, i) => {
        labels[n] = values[i] ?? '';
      });
      c = this.make(labels);
      this.byKey.set(key, c);
    }
    return c;
  }

  values(): IterableIterator<C> {
    return this.byKey.values();
  }
}
