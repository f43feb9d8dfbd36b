// The worker entry for worker_threads: self-contained, started by URL.
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { parentPort } from 'node:worker_threads';
import { loadPlan } from '../api/load-job.js';
import { decodeBatch, encodeBatch } from '../channel/batch-codec.js';
import { InvalidArgumentError } from '../errors/index.js';
import { createMacrotaskScheduler } from '../platform/index.js';
import { createWorkerRuntime } from '../runtime/worker/worker-runtime.js';
import { openFsStorage } from '../state/backends/fs-storage.js';
import { sharedStorage } from '../state/backends/shared-storage.js';
import type { StorageDescriptor } from '../state/checkpoint-storage.js';

function openStorage(descriptor: StorageDescriptor) {
  if (descriptor.kind !== 'fs') throw new InvalidArgumentError('storage', `a worker_thread cannot open '${descriptor.kind}' storage`);
  return sharedStorage(descriptor, () => openFsStorage({ dir: descriptor.dir }));
}

const runtime = createWorkerRuntime({
  loadPlan,
  scheduleMacrotask: createMacrotaskScheduler(),
  packing: { encode: (batch, spare, dictionary) => encodeBatch(batch, spare, dictionary), decode: decodeBatch },
  openStorage,
  runnerStorageIsProxy: true,
});
process.on('unhandledRejection', (reason) => runtime.failAll(reason));
Comlink.expose(runtime, nodeEndpoint(parentPort as unknown as Parameters<typeof nodeEndpoint>[0]));
