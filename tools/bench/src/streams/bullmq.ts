import type { ConnectionOptions, Job } from 'bullmq';
import { fmt } from '../report';
import { SampleBuffer } from '../stats';
import {
  latencyOf,
  pacedResult,
  publishPaced,
  throughputResult,
  timeSequential,
  waitFor,
  type BenchEnvelope,
  type Contender,
  type EnvelopeFactory,
  type PacedResult,
  type PacedSpec,
  type ThroughputResult,
  type ThroughputSpec,
} from './common';

export interface BullmqOptions {
  host: string;
  port: number;
  /** Worker concurrency candidates: the warm-up tries each and keeps the fastest. */
  concurrency: readonly number[];
  /** Jobs per candidate in the warm-up's tuning. */
  tuneMessages: number;
}

const JOB_NAME = 'bench';

/**
 * BullMQ as its docs recommend for throughput: `Queue.addBulk` in batches, one `Worker` with a
 * high concurrency, jobs removed on completion (no completed-set growth). Its best concurrency is
 * picked during the warm-up from the candidates. "Acked" = the job completed (moved to finished
 * by the worker), counted by the worker's `completed` event.
 */
export async function bullmqContender(factory: EnvelopeFactory, options: BullmqOptions): Promise<Contender> {
  const { Queue, Worker } = await import('bullmq');
  // RESP2 as with ioredis 5, which BullMQ was built on (ioredis 6 defaults to RESP3).
  const connection: ConnectionOptions = {
    host: options.host,
    port: options.port,
    maxRetriesPerRequest: null,
    protocol: 2,
  };
  let concurrency = options.concurrency.includes(100) ? 100 : (options.concurrency[0] ?? 100);
  let tuning: Record<string, number> = {};
  let version = 'unknown';
  try {
    const { createRequire } = await import('node:module');
    const req = createRequire(import.meta.url);
    version = (req('bullmq/package.json') as { version: string }).version;
  } catch {
    // version is informational only
  }
  const queueName = (tag: string) => `bench-${tag}`;

  async function open(tag: string, latencies: SampleBuffer | null, workerConcurrency: number) {
    const queue = new Queue<BenchEnvelope>(queueName(tag), {
      connection,
      defaultJobOptions: { removeOnComplete: true, removeOnFail: true },
    });
    queue.on('error', () => undefined);
    await queue.waitUntilReady();
    if (!latencies) return { queue, worker: null, completed: () => 0 };
    let completed = 0;
    const worker = new Worker<BenchEnvelope>(
      queueName(tag),
      async (job: Job<BenchEnvelope>) => {
        latencies.push(latencyOf(job.data));
      },
      { connection, concurrency: workerConcurrency },
    );
    worker.on('completed', () => {
      completed++;
    });
    worker.on('error', () => undefined);
    await worker.waitUntilReady();
    return { queue, worker, completed: () => completed };
  }

  async function runThroughput(spec: ThroughputSpec, workerConcurrency: number): Promise<ThroughputResult> {
    const latencies = new SampleBuffer(spec.messages);
    const { queue, worker, completed } = await open(spec.tag, latencies, workerConcurrency);
    try {
      const t0 = performance.now();
      const deadline = t0 + spec.timeoutMs;
      let sent = 0;
      while (sent < spec.messages && performance.now() < deadline) {
        const k = Math.min(spec.batch, spec.messages - sent);
        const jobs = new Array(k);
        for (let j = 0; j < k; j++) jobs[j] = { name: JOB_NAME, data: factory.make(sent + j) };
        await queue.addBulk(jobs);
        sent += k;
      }
      const tPublished = performance.now();
      await waitFor(() => completed() >= sent, deadline - performance.now());
      const tEnd = performance.now();
      return throughputResult(t0, tPublished, tEnd, sent, Math.min(completed(), sent), latencies);
    } finally {
      await worker?.close();
      await queue.close();
    }
  }

  return {
    name: 'bullmq',
    label: `BullMQ ${version} (addBulk + Worker)`,
    settings: () => ({
      version,
      concurrency,
      concurrencyTried: tuning,
      jobOptions: { removeOnComplete: true, removeOnFail: true },
      client: 'ioredis 6 (the workspace one; an optional peer of BullMQ 6), RESP2',
    }),

    async warmup(spec) {
      // One untimed run to warm up, then every candidate once on `tuneMessages`; the fastest is kept.
      await runThroughput(spec, concurrency);
      tuning = {};
      let best = -1;
      for (const c of options.concurrency) {
        const r = await runThroughput({ ...spec, messages: options.tuneMessages, tag: `${spec.tag}-c${c}` }, c);
        tuning[String(c)] = Math.round(r.perSecond);
        if (r.complete && r.perSecond > best) {
          best = r.perSecond;
          concurrency = c;
        }
      }
      return `worker concurrency ${concurrency}, the fastest of ${Object.entries(tuning)
        .map(([c, v]) => `${c}: ${fmt(v)}/s`)
        .join(', ')} (${fmt(options.tuneMessages)} jobs each)`;
    },

    throughput: (spec) => runThroughput(spec, concurrency),

    async paced(spec: PacedSpec): Promise<PacedResult> {
      const latencies = new SampleBuffer(spec.messages);
      const { queue, worker, completed } = await open(spec.tag, latencies, concurrency);
      try {
        const deadline = performance.now() + spec.timeoutMs;
        const published = await publishPaced(spec, (seq) => queue.add(JOB_NAME, factory.make(seq)));
        await waitFor(() => completed() >= published, deadline - performance.now());
        return pacedResult(published, latencies.length, latencies);
      } finally {
        await worker?.close();
        await queue.close();
      }
    },

    async sequentialPublish(tag, count) {
      const { queue } = await open(tag, null, concurrency);
      try {
        return await timeSequential(count, (seq) => queue.add(JOB_NAME, factory.make(seq)));
      } finally {
        await queue.close();
      }
    },

    async close() {
      // Queues and workers are closed after each phase.
    },
  };
}
