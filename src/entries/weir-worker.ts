// The worker entry for Web Workers (browsers, Deno): self-contained, started by URL.
import * as Comlink from 'comlink';
import { loadPlan } from '../api/load-job.js';
import { decodeBatch, encodeBatch } from '../channel/batch-codec.js';
import { InvalidArgumentError } from '../errors/index.js';
import { createMacrotaskScheduler } from '../platform/index.js';
import { createWorkerRuntime } from '../runtime/worker/worker-runtime.js';
import { openIndexedDbStorage } from '../state/backends/indexeddb-storage.js';
import { sharedStorage } from '../state/backends/shared-storage.js';
import type { StorageDescriptor } from '../state/checkpoint-storage.js';

// Each worker writes its own chunks straight to IndexedDB (DESIGN: workers write their own chunks).
function openStorage(descriptor: StorageDescriptor) {
  if (descriptor.kind !== 'indexeddb') throw new InvalidArgumentError('storage', `a Web Worker cannot open '${descriptor.kind}' storage`);
  return sharedStorage(descriptor, () => openIndexedDbStorage({ database: descriptor.database }));
}

const runtime = createWorkerRuntime({
  loadPlan,
  scheduleMacrotask: createMacrotaskScheduler(),
  packing: { encode: (batch, spare, dictionary) => encodeBatch(batch, spare, dictionary), decode: decodeBatch },
  openStorage,
  runnerStorageIsProxy: true,
});
self.addEventListener('unhandledrejection', (event) => runtime.failAll((event as PromiseRejectionEvent).reason));
Comlink.expose(runtime);
