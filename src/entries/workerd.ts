// The `workerd` export condition (Cloudflare Workers): one isolate, no Worker, so jobs run
// in-process; { durableObject: ctx.storage } keeps their data in a Durable Object's SQLite storage.
import { createOpenLog, createReadTable, createRun, createWatchTable } from '../api/index.js';
import { workerdPlatform } from '../platform/index.js';
import { durableObjectStorageFor } from '../state/backends/durable-object-storage.js';

export * from '../index.js';

const platform = workerdPlatform(durableObjectStorageFor);
export const run = createRun(platform);
export const readTable = createReadTable(platform);
export const openLog = createOpenLog(platform);
export const watchTable = createWatchTable(platform);
