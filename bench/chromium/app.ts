// The page of the Chromium worker benchmark (bench/workers-chromium.bench.ts builds it with esbuild
// from the built package and drives it with playwright-core). It runs nothing by itself: it exposes
// `window.weirBench`, whose functions the driver calls one run at a time (page.evaluate), so the
// rounds, the budget and the tables stay in Node. Every run here is in Web Workers, except
// Weir's in-process variants (the page's own thread).
//
// The driver exposes `__benchCpuMs()` (CPU time of the renderer processes, via CDP) and
// `__benchRss()` (the page's renderer's resident set, from /proc); both are optional.
import { createWorkerPool, run, type MetricsEvent, type WorkerPool } from 'weir';
import {
  expectedTotalV, jobModuleUrl, runWeirOnce, type BenchClock, type RawConfig, type RawMode, type RawResult, type Sample, type WeirRunSpec,
} from '../workers-shared.js';

interface DriverHooks {
  __benchCpuMs?: () => Promise<number>;
  __benchRss?: () => Promise<number | undefined>;
}
const hooks = globalThis as unknown as DriverHooks;

// performance.now() is coarsened (100 µs) in a page that is not cross-origin isolated; Date.now()
// (1 ms) is plenty for runs of 100 ms and more.
const clock: BenchClock = {
  now: () => Date.now(),
  ...(hooks.__benchCpuMs !== undefined ? { cpuMs: () => hooks.__benchCpuMs!() } : {}),
};

const JOB = new URL('./exchange.job.js', import.meta.url);

function message<T>(worker: Worker, test: (data: unknown) => T | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (event: MessageEvent) => {
      const value = test(event.data);
      if (value === undefined) return;
      worker.removeEventListener('message', onMessage);
      resolve(value);
    };
    worker.addEventListener('message', onMessage);
    worker.addEventListener('error', (event) => reject(new Error(`a raw worker failed: ${event.message}`)), { once: true });
  });
}

async function raw(mode: RawMode, records: number, batch: number, window: number): Promise<Sample> {
  const config: RawConfig = { mode, records, batch, window };
  const { port1, port2 } = new MessageChannel();
  const start = () => new Worker(new URL('./raw-worker.js', import.meta.url), { type: 'module' });
  const producer = start();
  const consumer = start();
  try {
    const ready = (w: Worker) => message(w, (d) => (d === 'ready' ? true : undefined));
    const readyBoth = Promise.all([ready(producer), ready(consumer)]);
    producer.postMessage({ role: 'producer', port: port1, config }, [port1]);
    consumer.postMessage({ role: 'consumer', port: port2, config }, [port2]);
    await readyBoth;
    const done = message(consumer, (d) => (d as { done?: RawResult }).done);
    const cpu0 = await clock.cpuMs?.();
    const t0 = clock.now();
    producer.postMessage('go');
    const result = await done;
    const ms = clock.now() - t0;
    const cpu1 = await clock.cpuMs?.();
    const expected = expectedTotalV(records);
    const error = result.records !== records || result.sumV !== expected ? `received ${result.records} records summing to ${result.sumV}, expected ${records} and ${expected}` : undefined;
    return { records, ms, ...(cpu0 !== undefined && cpu1 !== undefined ? { cpuMs: cpu1 - cpu0 } : {}), ...(error !== undefined ? { error } : {}) };
  } finally {
    producer.terminate();
    consumer.terminate();
  }
}

/** The warm workers of the pooled variant, kept across its runs (run(job, { workers: pool })). */
let pool: WorkerPool | undefined;

function weir(spec: Omit<WeirRunSpec, 'jobModule' | 'pool'> & { readonly workers: boolean; readonly pooled?: boolean }): Promise<Sample> {
  const { workers, pooled, ...rest } = spec;
  return runWeirOnce({ ...rest, jobModule: workers ? JOB : undefined, ...(pooled === true ? { pool: (pool ??= createWorkerPool()) } : {}) }, clock);
}

interface PagePoint {
  at: number;
  inFlight?: number;
  rss?: number;
  workerHeap: (number | undefined)[];
}

interface MemoryBreakdown {
  breakdown: { bytes: number; attribution: { scope?: string; url?: string }[] }[];
}

/** The JS heap of each Weir worker, smaller first (the measurement does not say which subtask is which). */
async function weirWorkerHeaps(): Promise<number[] | undefined> {
  const measure = (performance as unknown as { measureUserAgentSpecificMemory?: () => Promise<MemoryBreakdown> }).measureUserAgentSpecificMemory;
  if (!crossOriginIsolated || typeof measure !== 'function') return undefined;
  const result = await measure.call(performance);
  return result.breakdown
    .filter((b) => b.attribution.some((a) => a.scope === 'DedicatedWorkerGlobalScope' && (a.url ?? '').includes('weir-worker')))
    .map((b) => b.bytes)
    .sort((a, b) => a - b);
}

/**
 * The slow sink in 2 workers: records in flight (metrics), the renderer's RSS, and, in a
 * cross-origin isolated page (the driver opens /iso/ for this), each worker's JS heap through
 * performance.measureUserAgentSpecificMemory() (eager with --enable-blink-features=ForceEagerMeasureMemory;
 * each measurement runs a GC, so it counts live memory).
 */
async function slow(name: string, records: number, sinkBusyUs: number): Promise<{ ms: number; points: PagePoint[]; error?: string; heapMeasured: boolean; isolated: boolean }> {
  const points: PagePoint[] = [];
  let inFlight: number | undefined;
  let heaps: number[] = [];
  let heapMeasured = false;
  const handle = await run(jobModuleUrl(JOB, { name, records, sinkBusyUs, probe: undefined }), {
    parallelism: 2,
    checkpointing: { intervalMs: 1000 },
    resume: 'none',
    heartbeat: { intervalMs: 50 },
    metricsIntervalMs: 50,
  });
  const t0 = Date.now();
  handle.on('metrics', (m: MetricsEvent) => {
    const out = m.subtasks.filter((s) => s.subtask.vertexId === 0).reduce((n, s) => n + s.recordsOut, 0);
    const received = m.subtasks.filter((s) => s.subtask.vertexId === 1).reduce((n, s) => n + s.recordsIn, 0);
    inFlight = out - received;
  });
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const rss = await hooks.__benchRss?.();
      points.push({ at: Date.now() - t0, ...(inFlight !== undefined ? { inFlight } : {}), ...(rss !== undefined ? { rss } : {}), workerHeap: [...heaps] });
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const heapSampler = (async () => {
    while (sampling) {
      const measured = await weirWorkerHeaps().catch(() => undefined);
      if (measured === undefined) return;
      heapMeasured ||= measured.length > 0;
      heaps = measured;
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  let error: string | undefined;
  try {
    await handle.done;
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  const ms = Date.now() - t0;
  sampling = false;
  await Promise.all([sampler, heapSampler]);
  return { ms, points, heapMeasured, isolated: crossOriginIsolated, ...(error !== undefined ? { error } : {}) };
}

/** What the page offers the driver. */
export interface WeirBenchPage {
  raw: typeof raw;
  weir: typeof weir;
  slow: typeof slow;
}

const api: WeirBenchPage = {
  raw,
  weir,
  slow,
};
(globalThis as unknown as { weirBench: WeirBenchPage }).weirBench = api;
document.title = 'ready';
