// The `workerd` export condition (Cloudflare Workers): one isolate, no Worker, so jobs run in-process.
import { createOpenLog, createReadTable, createRun } from '../api/index.js';
import { workerdPlatform } from '../platform/index.js';

export * from '../index.js';

const platform = workerdPlatform();
export const run = createRun(platform);
export const readTable = createReadTable(platform);
export const openLog = createOpenLog(platform);
