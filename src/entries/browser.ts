// The `browser` export condition. The Worker literal stays in this file so bundlers (Vite) find
// and emit the worker beside it: new Worker(new URL('./weir-worker.js', import.meta.url), …).
import { createOpenLog } from '../api/open-log.js';
import { createReadTable, createRun } from '../api/run.js';
import { browserPlatform, openSharedIndexedDb } from '../platform/browser-platform.js';
import { createWatchTable } from '../api/watch-table.js';

export * from '../index.js';

const platform = browserPlatform(() => new Worker(new URL('./weir-worker.js', import.meta.url), { type: 'module' }), openSharedIndexedDb);
export const run = createRun(platform);
export const readTable = createReadTable(platform);
export const openLog = createOpenLog(platform);
export const watchTable = createWatchTable(platform);
