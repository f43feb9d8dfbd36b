import type { CheckpointStorage } from '../state/checkpoint-storage.js';
import { memoryStorageForRealm } from '../state/backends/memory-storage.js';
import { sharedStorage } from '../state/backends/shared-storage.js';
import { browserWorkerPlatform } from './browser-workers.js';
import { defaultPlatform } from './default-platform.js';
import { createDenoMacrotaskScheduler } from './deno-macrotask.js';
import type { RuntimePlatform } from './runtime-platform.js';
import { acquireWebLock } from './web-locks.js';

/** Opens an IndexedDB-backed storage by database name (the entry supplies it, with the backend). */
export type OpenIndexedDb = (database: string) => CheckpointStorage;

/**
 * Web Workers; IndexedDB as the default storage (memory where a page has none, e.g. some
 * private modes); one runner per job through Web Locks; relative job module strings resolve
 * against the page's URL.
 */
export function browserPlatform(startWorker: () => Worker, openIndexedDb: OpenIndexedDb): RuntimePlatform {
  const base = defaultPlatform('browser', () => (globalThis as { location?: { href: string } }).location?.href);
  const hasIndexedDb = typeof (globalThis as { indexedDB?: unknown }).indexedDB !== 'undefined';
  return {
    ...base,
    workers: (createWorker) => browserWorkerPlatform(() => (createWorker?.() as Worker | undefined) ?? startWorker()),
    defaultStorage: () => (hasIndexedDb ? openIndexedDb('weir') : memoryStorageForRealm()),
    ...(hasIndexedDb ? {} : {
      defaultStorageNotDurable: 'this browser context has no IndexedDB (a private mode, an embedded view): checkpoints and tables are kept in memory only, and a reload loses them',
    }),
    durableStorage: hasIndexedDb ? { indexeddb: openIndexedDb } : {},
    acquireJobLock: acquireWebLock,
  };
}

/** IndexedDB storage by database name, one instance per database in this realm. */
export const openSharedIndexedDb: OpenIndexedDb = (database) =>
  sharedStorage({ kind: 'indexeddb', database }, async () => {
    // Loaded on the first storage call (bundlers split it off with idb): a page that runs its
    // jobs in workers needs the backend only once a job or a readTable() touches storage.
    const { openIndexedDbStorage, requestPersistence } = await import('../state/backends/indexeddb-storage.js');
    void requestPersistence(); // ask once that the browser not evict checkpoints
    return openIndexedDbStorage({ database });
  });

/**
 * Deno: Web Workers as in a browser; relative job module strings resolve against the working
 * directory; the task scheduler's yields let I/O that other threads completed settle (deno-macrotask.ts).
 */
export function denoPlatform(startWorker: () => Worker, openFs?: (dir: string) => CheckpointStorage, openKv?: (kv: unknown, argument: string) => CheckpointStorage): RuntimePlatform {
  const deno = (globalThis as { Deno?: { cwd(): string } }).Deno;
  // A URL, not string concatenation: a working folder named with '#' or '?' must stay a path.
  const base = defaultPlatform('deno', () => (deno ? pathUrl(deno.cwd()) : undefined));
  return {
    ...base,
    scheduleMacrotask: createDenoMacrotaskScheduler(),
    workers: (createWorker) => browserWorkerPlatform(() => (createWorker?.() as Worker | undefined) ?? startWorker()),
    durableStorage: { ...(openFs === undefined ? {} : { fs: openFs }), ...(openKv === undefined ? {} : { kv: openKv }) },
  };
}

/** The file: URL of a folder (with its trailing slash), each path segment escaped. */
function pathUrl(folder: string): string {
  const url = new URL('file:///');
  url.pathname = `${folder.replaceAll('\\', '/').replace(/\/?$/, '/')}`;
  return url.href;
}
