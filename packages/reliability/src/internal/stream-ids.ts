/** Orders two stream ids (`ms-seq`, or `ms` alone) as Redis does. */
export function compareStreamIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am !== bm ? am - bm : as - bs;
}

const STREAM_ID_RE = /^\d{1,20}(-\d{1,20})?$/;

/** Whether `id` is a stream id Redis accepts in XRANGE (`ms-seq` or `ms`). */
export function isStreamId(id: string): boolean {
  return STREAM_ID_RE.test(id);
}
