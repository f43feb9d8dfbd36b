// The `deno` export condition: Web Workers, as in a browser.
import { createReadTable, createRun } from '../api/index.js';
import { denoPlatform } from '../platform/index.js';

export * from '../index.js';

const platform = denoPlatform(() => new Worker(new URL('./weir-worker.js', import.meta.url), { type: 'module' }));
export const run = createRun(platform);
export const readTable = createReadTable(platform);
