import type { CheckpointStorage } from '../state/checkpoint-storage.js';
import { defaultPlatform } from './default-platform.js';
import { nodeWorkerPlatform, type NodeWorkerLike } from './node-workers.js';
import type { RuntimePlatform } from './runtime-platform.js';

/** worker_threads; `{ dir }` storage in files; relative job module strings resolve against the working directory (`cwdUrl`). */
export function nodePlatform(startWorker: () => NodeWorkerLike, cwdUrl: () => string, openFs: (dir: string) => CheckpointStorage, onThreadGone?: (threadId: number) => void): RuntimePlatform {
  const base = defaultPlatform('node', cwdUrl);
  return {
    ...base,
    workers: (createWorker) => nodeWorkerPlatform(() => (createWorker?.() as NodeWorkerLike | undefined) ?? startWorker(), onThreadGone),
    durableStorage: { fs: openFs },
  };
}
