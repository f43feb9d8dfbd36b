import type { CheckpointStorage } from '../state/checkpoint-storage.js';
import type { WorkerPlatform } from './worker-platform.js';

/** Everything `run()` needs from the runtime it is on; each entry in src/entries supplies one. */
export interface RuntimePlatform {
  readonly name: 'browser' | 'node' | 'deno' | 'workerd' | 'default';
  /** Starts workers; absent where the runtime has none (workerd, unknown), so jobs run in-process. */
  workers?(createWorker: (() => unknown) | undefined): WorkerPlatform;
  /** The storage used when `run()` and `readTable()` are given none. */
  defaultStorage(): CheckpointStorage;
  /**
   * Set when that default keeps nothing across a reload where a user would expect it to (a
   * browser without IndexedDB): why, for the job's 'warning' event.
   */
  readonly defaultStorageNotDurable?: string;
  /** Durable storages this runtime has: 'indexeddb' (by database name), { dir } (a folder). */
  readonly durableStorage?: {
    readonly indexeddb?: (database: string) => CheckpointStorage;
    readonly fs?: (dir: string) => CheckpointStorage;
  };
  /**
   * One runner per job (per origin in a browser): resolves with a release function once this
   * runner holds the job's lock; with `wait` false, resolves undefined at once when another holds it.
   */
  acquireJobLock?(jobName: string, wait: boolean): Promise<(() => void) | undefined>;
  /** A job module's absolute URL, from a URL or a string (relative strings per the runtime's convention). */
  resolveModuleUrl(job: string | URL): string;
  scheduleMacrotask(callback: () => void): void;
}
