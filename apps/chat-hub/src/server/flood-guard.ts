/** Frames a connection may send: a burst, a sustained rate, and when to give up on it. */
export interface FloodOptions {
  /** Frames allowed in a burst. Default 200. */
  capacity?: number;
  /** Frames per second allowed sustained. Default 100. */
  refillPerSecond?: number;
  /** Close the connection (1008) after this many frames dropped in a row without a quiet second. Default 2000. */
  closeAfterDropped?: number;
}

export const DEFAULT_FLOOD_OPTIONS: Readonly<Required<FloodOptions>> = {
  capacity: 200,
  refillPerSecond: 100,
  closeAfterDropped: 2000,
};

export type FloodVerdict = 'ok' | 'drop' | 'notify' | 'close';

/**
 * An in-process token bucket per connection, checked before a frame is even parsed: the cheap
 * first line against a flood, so one client cannot keep the hub busy parsing (the per-user
 * Redis buckets then limit each action). A dropped frame is answered at most once a second,
 * so the answers do not become a flood of their own.
 */
export function createFloodGuard(options: FloodOptions = {}, now: () => number = Date.now) {
  const o = { ...DEFAULT_FLOOD_OPTIONS, ...options };
  let tokens = o.capacity;
  let at = now();
  let dropped = 0;
  let notifiedAt = -Infinity;
  return {
    /** Whether to handle the next frame, drop it quietly, drop it and say so, or close. */
    check(): FloodVerdict {
      const t = now();
      tokens = Math.min(o.capacity, tokens + ((t - at) * o.refillPerSecond) / 1000);
      at = t;
      if (tokens >= 1) {
        tokens -= 1;
        if (tokens >= o.refillPerSecond / 2) dropped = 0;
        return 'ok';
      }
      dropped++;
      if (dropped >= o.closeAfterDropped) return 'close';
      if (t - notifiedAt >= 1000) {
        notifiedAt = t;
        return 'notify';
      }
      return 'drop';
    },
    /** ms until one frame is allowed again. */
    retryAfterMs(): number {
      return Math.max(0, Math.ceil(((1 - tokens) * 1000) / o.refillPerSecond));
    },
  };
}
export type FloodGuard = ReturnType<typeof createFloodGuard>;
