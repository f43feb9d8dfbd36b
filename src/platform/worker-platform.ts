import type { Endpoint } from 'comlink';
import type { SerializedError } from '../errors/serialized-error.js';

/** A worker as the runner sees it: a comlink endpoint, a way to end it, and word of its death. */
export interface SpawnedWorker {
  readonly endpoint: Endpoint;
  terminate(): void;
  /** Called once if the worker dies by itself (an uncaught error, an exit, an unreadable message). */
  onFailure(listener: (error: SerializedError) => void): void;
  /** Node: an idle pooled worker must not keep the process alive (`unref`), a working one must (`ref`). */
  unref?(): void;
  ref?(): void;
}

/** How one runtime starts workers and connects them. */
export interface WorkerPlatform {
  spawn(): SpawnedWorker;
  createChannel(): { port1: MessagePort; port2: MessagePort };
}

/** Calls the listeners once, on the first failure; a deliberate termination silences it. */
export function failureNotifier(): { fail(error: SerializedError): void; silence(): void; onFailure(listener: (error: SerializedError) => void): void } {
  let done = false;
  const listeners: ((error: SerializedError) => void)[] = [];
  return {
    fail(error) {
      if (done) return;
      done = true;
      for (const l of listeners) l(error);
    },
    silence: () => void (done = true),
    onFailure: (listener) => void listeners.push(listener),
  };
}
