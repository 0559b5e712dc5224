import { AgentbusError, ERROR_CODES } from '@agentbus/schema';

/**
 * A map that keeps at most `capacity` entries, forgetting the least recently used one first, so
 * state kept per name (per topic) stays bounded however many names a process touches. Iteration
 * runs from the least to the most recently used.
 */
export class Lru<K, V> {
  private readonly map = new Map<K, V>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, `Lru capacity must be an integer >= 1, got ${capacity}`);
    }
  }

  get size(): number {
    return this.map.size;
  }

  /** The value, now the most recently used. */
  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value === undefined) return undefined;
    // A Map iterates in insertion order: re-inserting moves the key to the most recent end.
    this.map.delete(key);
    this.map.set(key, value);
    return value;
  }

  /** Without touching recency. */
  peek(key: K): V | undefined {
    return this.map.get(key);
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  /** Stores `value` as the most recently used; evicts the least recently used beyond capacity. */
  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.capacity) {
      const oldest = this.map.keys().next().value as K;
      this.map.delete(oldest);
    }
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }

  /** A snapshot, least recently used first (safe to change the Lru while going through it). */
  entries(): Array<[K, V]> {
    return [...this.map.entries()];
  }
}
