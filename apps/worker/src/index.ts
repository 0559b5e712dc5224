// Public API of @agentbus/worker: run a worker in-process (npm start, tests) or via agentbus-worker.
export { createWorker } from './worker';
export type { Worker, CreateWorkerOptions } from './worker';
export { parseWorkerOptions, loadDotEnv, DEFAULT_WORKER_OPTIONS, WORKER_USAGE } from './worker-options';
export type { WorkerOptions } from './worker-options';
export { loadHandler } from './load-handler';
