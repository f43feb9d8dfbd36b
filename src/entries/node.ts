// The `node` export condition: worker_threads, and `{ dir }` storage in files.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { createOpenLog, createReadTable, createRun, createWatchTable } from '../api/index.js';
import { nodePlatform } from '../platform/index.js';
import { openFsStorage, type FsCheckpointStorage } from '../state/backends/fs-storage.js';
import { sharedStorage } from '../state/backends/shared-storage.js';

export * from '../index.js';
import { sources as neutralSources } from '../index.js';
import { createLines } from '../connectors/lines/lines-source.js';
import { openFileBytes, readFileBytes } from '../platform/node-files.js';

/** As everywhere, and `sources.lines` also reads files (a path or a file: URL). */
export const sources = { ...neutralSources, lines: createLines(openFileBytes) } as const;

const folders = new Set<FsCheckpointStorage>();
const openFs = (dir: string) => {
  const absolute = resolve(dir);
  return sharedStorage({ kind: 'fs', dir: absolute }, async () => {
    const storage = await openFsStorage({ dir: absolute });
    folders.add(storage);
    return storage;
  });
};

const platform = nodePlatform(
  () => new Worker(new URL('./weir-worker-node.js', import.meta.url)),
  () => pathToFileURL(`${process.cwd()}/`).href,
  openFs,
  // A worker killed while it held a folder's metadata lock: the folders this process uses free it at once.
  (threadId) => void Promise.all([...folders].map((storage) => storage.releaseLockOfThread(threadId))),
);
export const run = createRun(platform, { readFile: readFileBytes });
export const readTable = createReadTable(platform);
export const openLog = createOpenLog(platform);
export const watchTable = createWatchTable(platform);
