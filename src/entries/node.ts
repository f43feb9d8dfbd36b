// The `node` export condition: worker_threads.
import { Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { createReadTable, createRun } from '../api/index.js';
import { nodePlatform } from '../platform/index.js';

export * from '../index.js';

const platform = nodePlatform(
  () => new Worker(new URL('./weir-worker-node.js', import.meta.url)),
  () => pathToFileURL(`${process.cwd()}/`).href,
);
export const run = createRun(platform);
export const readTable = createReadTable(platform);
