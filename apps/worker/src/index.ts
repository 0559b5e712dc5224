// Public API of @agentbus/worker: run a worker in-process (npm start, tests) or via agentbus-worker.
export { createWorker } from './worker';
export type { Worker, CreateWorkerOptions } from './worker';
export {
  parseWorkerOptions,
  parseDurationMs,
  resolveWorkerTuning,
  loadDotEnv,
  DEFAULT_WORKER_OPTIONS,
  WORKER_USAGE,
} from './worker-options';
export type { WorkerOptions, WorkerTuning } from './worker-options';
export { jsonLog, loggedHandler } from './worker-log';
export type { WorkerLog, WorkerLogLevel } from './worker-log';
export type { RedisState } from './redis-watch';
export { loadHandler } from './load-handler';
