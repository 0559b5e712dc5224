export { compareStreamIds } from '@agentbus/transport';

const STREAM_ID_RE = /^\d{1,20}(-\d{1,20})?$/;

/** Whether `id` is a stream id Redis accepts in XRANGE (`ms-seq` or `ms`). */
export function isStreamId(id: string): boolean {
  return STREAM_ID_RE.test(id);
}
