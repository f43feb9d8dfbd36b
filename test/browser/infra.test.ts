/// <reference types="mocha" />
// The browser test infrastructure itself (Web Test Runner + Chromium, see web-test-runner.config.mjs):
// module workers compiled from TS, the built package `weir` in the page and in a worker, job modules.
import * as Comlink from 'comlink';
import { job, readTable, run, sinks, sources } from 'weir';
import type { EchoReply, EchoRequest } from './fixtures/echo.worker.ts';
import type { JobRunnerApi } from './fixtures/job-runner.worker.ts';

function assertEqual(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

/** Rejects after `ms`, or when the worker fails to load or throws, instead of waiting for mocha's timeout. */
function guarded<T>(worker: Worker, promise: Promise<T>, ms = 15_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer from the worker in ${ms} ms`)), ms);
    worker.addEventListener('error', (e) => reject(new Error(`worker error: ${e.message ?? 'it failed to load (404 or syntax error?)'}`)));
    promise.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

function ask(worker: Worker, port: MessagePort, request: EchoRequest): Promise<EchoReply> {
  return guarded(worker, new Promise<EchoReply>((resolve) => {
    port.onmessage = (e: MessageEvent<EchoReply>) => resolve(e.data);
    port.postMessage(request);
  }));
}

const unique = (label: string) => `${label}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;

describe('browser test infrastructure', () => {
  it('a module Worker compiled from a TS fixture answers over a transferred MessageChannel, and has IndexedDB', async () => {
    const worker = new Worker(new URL('./fixtures/echo.worker.ts', import.meta.url), { type: 'module' });
    try {
      const channel = new MessageChannel();
      worker.postMessage({ port: channel.port2 }, [channel.port2]);
      assertEqual(await ask(worker, channel.port1, { op: 'echo', values: [1, 2, 21] }), { op: 'echo', doubled: [2, 4, 42], inWorker: true }, 'echo reply');
      const value = unique('stored');
      assertEqual(await ask(worker, channel.port1, { op: 'idb', db: unique('weir-infra'), value }), { op: 'idb', readBack: value }, 'IndexedDB in the worker');
      channel.port1.close();
    } finally {
      worker.terminate();
    }
  });

  it("the built package 'weir' runs a small in-process job in the page, and readTable returns its rows", async () => {
    const name = unique('browser-page');
    const handle = await run(job(name, (env) => {
      env.fromSource(sources.fromElements(['a', 'bb', 'ccc'])).map((s) => ({ s, n: s.length })).filter((r) => r.n > 1).sinkTo(sinks.table('lengths'));
    }), { storage: 'memory' });
    const result = await handle.done;
    assertEqual(result.status, 'finished', 'job status');
    assertEqual(await readTable(name, 'lengths', { storage: 'memory' }), [{ s: 'bb', n: 2 }, { s: 'ccc', n: 3 }], 'table rows');
  });

  it("a worker imports the job module fixture (which imports 'weir'), then runs it by URL", async () => {
    const worker = new Worker(new URL('./fixtures/job-runner.worker.ts', import.meta.url), { type: 'module' });
    const api = Comlink.wrap<JobRunnerApi>(worker);
    try {
      const moduleUrl = new URL('./fixtures/sum.job.ts', import.meta.url).href;
      assertEqual(await guarded(worker, api.inspect(moduleUrl)), { kind: 'weir.job', name: 'browser-sum' }, 'the job module default export');
      const { status, rows } = await guarded(worker, api.runToEnd(moduleUrl, 'totals'));
      assertEqual(status, 'finished', 'job status');
      const sorted = [...(rows as { parity: string; total: number }[])].sort((x, y) => x.parity.localeCompare(y.parity));
      assertEqual(sorted, [{ parity: 'even', total: 2550 }, { parity: 'odd', total: 2500 }], 'table rows');
    } finally {
      api[Comlink.releaseProxy]();
      worker.terminate();
    }
  });
});
