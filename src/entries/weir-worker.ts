// The worker entry for Web Workers (browsers, Deno): self-contained, started by URL.
import * as Comlink from 'comlink';
import { loadPlan } from '../api/index.js';
import { createMacrotaskScheduler } from '../platform/index.js';
import { decodeBatch, encodeBatch } from '../channel/batch-codec.js';
import { createWorkerRuntime } from '../runtime/worker/worker-runtime.js';

const runtime = createWorkerRuntime({ loadPlan, scheduleMacrotask: createMacrotaskScheduler(), packing: { encode: (batch) => encodeBatch(batch), decode: decodeBatch } });
self.addEventListener('unhandledrejection', (event) => runtime.failAll((event as PromiseRejectionEvent).reason));
Comlink.expose(runtime);
