import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { job } from '../../../src/api/job.js';
import { createRun } from '../../../src/api/run.js';
import { sinks } from '../../../src/index.js';
import { sources } from '../../../src/index.js';
import { browserPlatform } from '../../../src/platform/browser-platform.js';
import { MemoryCheckpointStorage } from '../../../src/state/backends/memory-storage.js';

// Issue 10, item 11: a browser without IndexedDB (some private modes, some embedded views) keeps
// checkpoints in memory only; a page that counted on them surviving a reload must be told.

describe('a browser without IndexedDB', () => {
  it('runs a job on memory storage and says so with a warning the page can show', async () => {
    assert.equal((globalThis as { indexedDB?: unknown }).indexedDB, undefined, 'Node has no IndexedDB');
    const opened: string[] = [];
    const platform = browserPlatform(() => { throw new Error('no workers in this test'); }, (database) => {
      opened.push(database);
      return new MemoryCheckpointStorage();
    });
    const run = createRun(platform);
    const handle = await run(job('no-indexeddb', (env) => {
      env.fromSource(sources.fromElements([1, 2, 3])).sinkTo(sinks.table('out'));
    }));
    const warnings: { kind: string; message: string }[] = [];
    const warned = new Promise<void>((resolve) => handle.on('warning', (w) => {
      warnings.push(w);
      resolve();
    }));
    await handle.done;
    await warned;
    assert.deepEqual(opened, []);
    assert.deepEqual(warnings.map((w) => w.kind), ['storage-not-durable']);
    assert.match(warnings[0]!.message, /IndexedDB/);
  });
});
