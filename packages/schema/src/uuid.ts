import { randomBytes } from 'node:crypto';

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const POOL_SIZE = 16 * 256;
let pool = Buffer.alloc(0);
let poolOffset = POOL_SIZE;
let lastMs = 0;
let seq = 0;

/** UUIDv7 pattern (RFC 9562): 48-bit ms timestamp, version 7, variant 10. */
export const UUID_V7_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * A UUIDv7: time-ordered, so ids sort by creation; inside one millisecond a 12-bit counter
 * (rand_a) keeps ids made by this process strictly increasing.
 */
export function uuidv7(now: number = Date.now()): string {
  if (poolOffset + 16 > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    poolOffset = 0;
  }
  const b = pool.subarray(poolOffset, poolOffset + 16);
  poolOffset += 16;
  let ms = now;
  if (ms <= lastMs) {
    ms = lastMs;
    seq += 1;
    if (seq > 0xfff) {
      // Counter exhausted inside one ms: borrow the next millisecond.
      ms = lastMs + 1;
      seq = 0;
    }
  } else {
    seq = b[6]! & 0x07; // random start, leaving room to count up
  }
  lastMs = ms;
  const hi = Math.floor(ms / 0x100000000);
  const lo = ms >>> 0;
  const h = (n: number) => HEX[n & 0xff]!;
  return (
    h(hi >>> 8) + h(hi) + h(lo >>> 24) + h(lo >>> 16) + '-' +
    h(lo >>> 8) + h(lo) + '-' +
    h(0x70 | (seq >>> 8)) + h(seq) + '-' +
    h(0x80 | (b[8]! & 0x3f)) + h(b[9]!) + '-' +
    h(b[10]!) + h(b[11]!) + h(b[12]!) + h(b[13]!) + h(b[14]!) + h(b[15]!)
  );
}

/** Milliseconds since epoch encoded in a UUIDv7. */
export function uuidv7Time(id: string): number {
  const hex = id.slice(0, 8) + id.slice(9, 13);
  return parseInt(hex, 16);
}
