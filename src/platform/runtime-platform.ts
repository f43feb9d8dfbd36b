import type { CheckpointStorage } from '../state/checkpoint-storage.js';
import type { WorkerPlatform } from './worker-platform.js';

/** Everything `run()` needs from the runtime it is on; each entry in src/entries supplies one. */
export interface RuntimePlatform {
  readonly name: 'browser' | 'node' | 'deno' | 'workerd' | 'default';
  /** Starts workers; absent where the runtime has none (workerd, unknown), so jobs run in-process. */
  workers?(createWorker: (() => unknown) | undefined): WorkerPlatform;
  /** The storage used when `run()` and `readTable()` are given none. */
  defaultStorage(): CheckpointStorage;
  /** A job module's absolute URL, from a URL or a string (relative strings per the runtime's convention). */
  resolveModuleUrl(job: string | URL): string;
  scheduleMacrotask(callback: () => void): void;
}
