import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { failureNotifier, type SpawnedWorker, type WorkerPlatform } from './worker-platform.js';

/** The part of node:worker_threads' Worker this adapter uses (kept structural: src has no Node types). */
export interface NodeWorkerLike {
  postMessage(message: unknown, transfer?: readonly Transferable[]): void;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
  terminate(): Promise<number>;
  ref?(): void;
  unref?(): void;
  readonly threadId?: number;
}

/**
 * worker_threads: `start` is the entry's `new Worker(new URL('./weir-worker-node.js', import.meta.url))`.
 * `onThreadGone` hears of every worker that stopped (crashed or terminated), once it has: a lock
 * it held when it died is freed at once rather than when it goes stale.
 */
export function nodeWorkerPlatform(start: () => NodeWorkerLike, onThreadGone?: (threadId: number) => void): WorkerPlatform {
  return {
    spawn(): SpawnedWorker {
      const worker = start();
      const { threadId } = worker;
      if (onThreadGone !== undefined && typeof threadId === 'number') worker.on('exit', () => onThreadGone(threadId));
      const { fail, silence, onFailure } = failureNotifier();
      worker.on('error', (error) => fail({ name: 'WorkerError', code: 'WORKER_LOST', message: `a worker failed: ${error instanceof Error ? error.message : String(error)}` }));
      worker.on('exit', (code) => fail({ name: 'WorkerError', code: 'WORKER_LOST', message: `a worker exited (code ${String(code)})` }));
      worker.on('messageerror', () => fail({ name: 'WorkerError', code: 'WORKER_LOST', message: 'a worker sent a message that could not be read' }));
      return {
        endpoint: nodeEndpoint(worker),
        terminate: () => {
          silence();
          void worker.terminate();
        },
        onFailure,
        ref: () => worker.ref?.(),
        unref: () => worker.unref?.(),
      };
    },
    createChannel: () => new MessageChannel(),
  };
}
