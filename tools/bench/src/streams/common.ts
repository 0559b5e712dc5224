import { createEnvelope, type Envelope } from '@agentbus/schema';
import { summarize, type SampleBuffer, type Summary } from '../stats';

/** The payload of every bench message: sequence, high-resolution publish time, padding. */
export interface BenchPayload {
  seq: number;
  /**
   * Publish time, `performance.now()` (ms, 3 decimals) when the envelope was made just before its
   * publish: the envelope's `ts` at sub-ms resolution. Producer and consumer share one process,
   * hence one clock; it keeps the envelope at 200 bytes where an epoch time would not.
   */
  t: number;
  pad: string;
}

export type BenchEnvelope = Envelope<BenchPayload>;

export interface EnvelopeFactory {
  /** A fresh envelope (new id; `ts` and payload `t` = now), about `bytes` long as JSON. */
  make(seq: number): BenchEnvelope;
  /** JSON size of a typical envelope. */
  readonly bytes: number;
}

/**
 * Builds envelopes of about `targetBytes` as JSON (`createEnvelope` of @agentbus/schema plus a
 * padded payload). Every contender sends the same envelopes, made at publish time, so the cost
 * of building them is in every producer alike.
 */
export function envelopeFactory(targetBytes = 200): EnvelopeFactory {
  const build = (seq: number, pad: string): BenchEnvelope =>
    createEnvelope({
      type: 'bench',
      from: 'bench',
      payload: { seq, t: Math.round(performance.now() * 1000) / 1000, pad },
    });
  const base = JSON.stringify(build(12_345, '')).length;
  const pad = 'x'.repeat(Math.max(0, targetBytes - base));
  return {
    make: (seq) => build(seq, pad),
    bytes: JSON.stringify(build(12_345, pad)).length,
  };
}

/** End-to-end latency of one received envelope: handler time minus publish time (ms). */
export function latencyOf(env: { payload: unknown }): number {
  return performance.now() - (env.payload as BenchPayload).t;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `done` every `intervalMs` (a timer, so the event loop keeps serving the consumer) until it
 * is true or `timeoutMs` passed; returns whether it became true.
 */
export async function waitFor(done: () => boolean, timeoutMs: number, intervalMs = 1): Promise<boolean> {
  const deadline = performance.now() + Math.max(0, timeoutMs);
  while (!done()) {
    if (performance.now() >= deadline) return false;
    await sleep(intervalMs);
  }
  return true;
}

export interface ThroughputSpec {
  /** Unique per run: names the topic / stream / queue. */
  tag: string;
  messages: number;
  /** Envelopes per publish batch (publishBatch / pipeline / addBulk). */
  batch: number;
  /** Publishing and acking must finish within this; otherwise the run is incomplete. */
  timeoutMs: number;
}

export interface ThroughputResult {
  /** Messages published (fewer than asked when the time ran out). */
  published: number;
  acked: number;
  complete: boolean;
  /** First publish to last ack, s. */
  seconds: number;
  /** First publish to last publish resolved, s. */
  publishSeconds: number;
  /** acked / seconds. */
  perSecond: number;
  /** Publish -> handler latency of every delivery, ms (saturated: includes the backlog wait). */
  latency: Summary;
}

export interface PacedSpec {
  tag: string;
  /** Messages per second, sent one publish each, spread evenly. */
  rate: number;
  messages: number;
  timeoutMs: number;
}

export interface PacedResult {
  published: number;
  received: number;
  latency: Summary;
}

/**
 * `ours+metrics` and `ours+reliability` are `ours` with @agentbus/metrics' transport hooks on, or
 * consuming through @agentbus/reliability; `ours-nolease` is `ours` with the consumer's leases off
 * (`leaseRenewMs: 0`). Measured in the same run to report their overheads.
 */
export type ContenderName = 'ours' | 'ours-nolease' | 'ours+metrics' | 'ours+reliability' | 'ours+dedupe' | 'raw' | 'bullmq';

/** One way of moving messages through Redis, measured the same way as the others. */
export interface Contender {
  readonly name: ContenderName;
  readonly label: string;
  /** The settings it runs with (for the report). */
  settings(): Record<string, unknown>;
  /** Gets JIT, connections and scripts warm; may tune settings (reported in `settings()`). */
  warmup(spec: ThroughputSpec): Promise<string | void>;
  /** N envelopes: publish in batches while one consumer in this process handles and acks them. */
  throughput(spec: ThroughputSpec): Promise<ThroughputResult>;
  /** Single publishes at a fixed rate with a consumer running: end-to-end latency, not saturated. */
  paced(spec: PacedSpec): Promise<PacedResult>;
  /** `count` single publishes awaited one at a time, no consumer: the duration of each, ms. */
  sequentialPublish(tag: string, count: number): Promise<Float64Array>;
  close(): Promise<void>;
}

/** Runs `publishOne` at `rate` per second (fire on schedule, not one at a time) until `messages`. */
export async function publishPaced(
  spec: PacedSpec,
  publishOne: (seq: number) => Promise<unknown>,
): Promise<number> {
  const start = performance.now();
  const deadline = start + spec.timeoutMs;
  const inFlight = new Set<Promise<unknown>>();
  let sent = 0;
  let failure: unknown;
  while (sent < spec.messages && performance.now() < deadline && failure === undefined) {
    const due = Math.min(spec.messages, Math.floor(((performance.now() - start) * spec.rate) / 1000) + 1);
    while (sent < due) {
      const p: Promise<void> = publishOne(sent++).then(
        () => {
          inFlight.delete(p);
        },
        (e: unknown) => {
          failure ??= e;
          inFlight.delete(p);
        },
      );
      inFlight.add(p);
    }
    await sleep(1);
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;
  return sent;
}

/** Times `count` sequential awaits of `publishOne` (each on its own, nothing else running). */
export async function timeSequential(count: number, publishOne: (seq: number) => Promise<unknown>): Promise<Float64Array> {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await publishOne(i);
    out[i] = performance.now() - t;
  }
  return out;
}

/** Shared bookkeeping of a throughput run once publishing is done. */
export function throughputResult(
  t0: number,
  tPublished: number,
  tEnd: number,
  published: number,
  acked: number,
  latencies: SampleBuffer,
): ThroughputResult {
  const seconds = (tEnd - t0) / 1000;
  return {
    published,
    acked,
    complete: acked >= published && published > 0,
    seconds,
    publishSeconds: (tPublished - t0) / 1000,
    perSecond: seconds > 0 ? acked / seconds : 0,
    latency: latencies.summary(),
  };
}

export function pacedResult(published: number, received: number, latencies: SampleBuffer): PacedResult {
  return { published, received, latency: summarize(latencies.values()) };
}
