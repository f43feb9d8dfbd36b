// The `deno` export condition: Web Workers, as in a browser, `{ dir }` storage in files
// through Deno's node:fs, and `{ kv }` storage in a Deno.Kv. The Web Worker entry
// (weir-worker.js) has no file system and no KV handle, so Deno's workers reach the folder or
// the KV database through the runner, as they reach 'memory' storage.
import { resolve } from 'node:path';
import { createOpenLog, createReadTable, createRun, createWatchTable } from '../api/index.js';
import { denoPlatform } from '../platform/index.js';
import { openFsStorage } from '../state/backends/fs-storage.js';
import { lazyStorage } from '../state/backends/lazy-storage.js';
import { denoKvStorageFor } from '../state/backends/deno-kv-storage.js';

export * from '../index.js';
import { sources as neutralSources } from '../index.js';
import { createLines } from '../connectors/lines/lines-source.js';
import { openFileBytes, readFileBytes } from '../platform/node-files.js';

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

const platform = denoPlatform(() => new Worker(new URL('./weir-worker.js', import.meta.url), { type: 'module' }), openFs, denoKvStorageFor);
export const run = createRun(platform, { readFile: readFileBytes });
export const readTable = createReadTable(platform);
export const openLog = createOpenLog(platform);
export const watchTable = createWatchTable(platform);
