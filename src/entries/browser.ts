// The `browser` export condition. The Worker literal stays in this file so bundlers (Vite) find
// and emit the worker beside it: new Worker(new URL('./weir-worker.js', import.meta.url), …).
import { createOpenLog, createReadTable, createRun } from '../api/index.js';
import { browserPlatform } from '../platform/index.js';
import { openIndexedDbStorage, requestPersistence } from '../state/backends/indexeddb-storage.js';
import { sharedStorage } from '../state/backends/shared-storage.js';

export * from '../index.js';

const openIndexedDb = (database: string) =>
  sharedStorage({ kind: 'indexeddb', database }, async () => {
    void requestPersistence(); // ask once that the browser not evict checkpoints
    return openIndexedDbStorage({ database });
  });

const platform = browserPlatform(() => new Worker(new URL('./weir-worker.js', import.meta.url), { type: 'module' }), openIndexedDb);
export const run = createRun(platform);
export const readTable = createReadTable(platform);
export const openLog = createOpenLog(platform);
