// The `deno` export condition: Web Workers, as in a browser, and `{ dir }` storage in files
// through Deno's node:fs. The Web Worker entry (weir-worker.js) has no file system, so Deno's
// workers reach the folder through the runner, as they reach 'memory' storage.
import { resolve } from 'node:path';
import { createOpenLog, createReadTable, createRun } from '../api/index.js';
import { denoPlatform } from '../platform/index.js';
import { openFsStorage } from '../state/backends/fs-storage.js';
import { lazyStorage } from '../state/backends/lazy-storage.js';

export * from '../index.js';
import { sources as neutralSources } from '../index.js';
import { createLines } from '../connectors/lines/lines-source.js';
import { openFileBytes } from '../platform/node-files.js';

/** As everywhere, and `sources.lines` also reads files (a path or a file: URL). */
export const sources = { ...neutralSources, lines: createLines(openFileBytes) } as const;

const folders = new Map<string, ReturnType<typeof lazyStorage>>();
const openFs = (dir: string) => {
  const absolute = resolve(dir);
  let storage = folders.get(absolute);
  // No worker descriptor: workers use the runner's handle instead of opening the folder themselves.
  if (storage === undefined) folders.set(absolute, (storage = lazyStorage('fs', () => openFsStorage({ dir: absolute }))));
  return storage;
};

const platform = denoPlatform(() => new Worker(new URL('./weir-worker.js', import.meta.url), { type: 'module' }), openFs);
export const run = createRun(platform);
export const readTable = createReadTable(platform);
export const openLog = createOpenLog(platform);
