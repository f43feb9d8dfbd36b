import { failureNotifier, type SpawnedWorker, type WorkerPlatform } from './worker-platform.js';

/** Web Workers (browsers, Deno): `start` is the literal `new Worker(new URL(…))` of the entry, or the user's `createWorker`. */
export function browserWorkerPlatform(start: () => Worker): WorkerPlatform {
  return {
    spawn(): SpawnedWorker {
      const worker = start();
      const { fail, silence, onFailure } = failureNotifier();
      worker.addEventListener('error', (event: ErrorEvent) => {
        event.preventDefault?.();
        fail({
          name: 'WorkerError',
          code: 'WORKER_LOST',
          message: event.message
            ? `a worker failed: ${event.message}`
            : "a worker failed to start or threw an uncaught error. If its script could not be loaded (a 404 on weir-worker.js), add the worker to the app's bundle: with esbuild, the entry point { in: 'weir/worker', out: 'weir-worker' }; or pass createWorker to run()",
        });
      });
      worker.addEventListener('messageerror', () => fail({ name: 'WorkerError', code: 'WORKER_LOST', message: 'a worker sent a message that could not be read' }));
      return {
        endpoint: worker,
        terminate: () => {
          silence();
          worker.terminate();
        },
        onFailure,
      };
    },
    createChannel: () => new MessageChannel(),
  };
}
