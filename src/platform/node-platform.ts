import { defaultPlatform } from './default-platform.js';
import { nodeWorkerPlatform, type NodeWorkerLike } from './node-workers.js';
import type { RuntimePlatform } from './runtime-platform.js';

/** worker_threads; relative job module strings resolve against the working directory (`cwdUrl`). */
export function nodePlatform(startWorker: () => NodeWorkerLike, cwdUrl: () => string): RuntimePlatform {
  const base = defaultPlatform('node', cwdUrl);
  return { ...base, workers: (createWorker) => nodeWorkerPlatform(() => (createWorker?.() as NodeWorkerLike | undefined) ?? startWorker()) };
}
