// The worker entry for worker_threads: self-contained, started by URL.
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { parentPort } from 'node:worker_threads';
import { loadPlan } from '../api/index.js';
import { createMacrotaskScheduler } from '../platform/index.js';
import { decodeBatch, encodeBatch } from '../channel/batch-codec.js';
import { createWorkerRuntime } from '../runtime/worker/worker-runtime.js';

const runtime = createWorkerRuntime({ loadPlan, scheduleMacrotask: createMacrotaskScheduler(), packing: { encode: (batch) => encodeBatch(batch), decode: decodeBatch } });
process.on('unhandledRejection', (reason) => runtime.failAll(reason));
Comlink.expose(runtime, nodeEndpoint(parentPort as unknown as Parameters<typeof nodeEndpoint>[0]));
