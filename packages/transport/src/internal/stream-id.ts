/** Orders stream ids (`ms-seq`) numerically; string order is wrong once the lengths differ. */
export function compareIds(a: string, b: string): number {
  const i = a.indexOf('-');
  const j = b.indexOf('-');
  const d = Number(a.slice(0, i)) - Number(b.slice(0, j));
  return d !== 0 ? d : Number(a.slice(i + 1)) - Number(b.slice(j + 1));
}
