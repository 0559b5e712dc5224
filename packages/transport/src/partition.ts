/**
 * Partition of a key: FNV-1a 32-bit over the UTF-16 code units, modulo the partition count. Stable
 * across processes and versions, so one key always lands on one partition (order per key).
 */
export function partitionFor(key: string, partitions: number): number {
  if (partitions <= 1) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}

/** Partitions a consumer owns: member `index` of `members` takes every partition p with p % members == index. */
export function assignPartitions(partitions: number, members: number, index: number): number[] {
  if (members <= 0 || index < 0) return [];
  const owned: number[] = [];
  for (let p = 0; p < partitions; p++) if (p % members === index) owned.push(p);
  return owned;
}
