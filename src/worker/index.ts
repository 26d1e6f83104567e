export { createWorker } from './worker.js';
export type { Worker, WorkerOptions } from './worker.js';
export { prepareItem } from './prepare.js';
