// Across workers (Node worker_threads): sequence → map to {k: string(8), v, t} → keyBy(k) (1000 keys)
// → running sum('v') → upsert table, run by Weir in 2 workers (binary batches on / off × checkpoints
// off / every 1 s / every 100 ms), by Weir in this thread (the same job as a definition, parallelism
// 2 and 1), by Weir in one worker (parallelism 1: what a fresh worker costs by itself, apart from the
// exchange between two), by Weir in warm pooled workers (run(job, { workers: createWorkerPool() }): 2 workers
// and one, each pool warmed by its warm-up run and kept across rounds), and the raw MessageChannel ceiling between two bare workers (no runtime): the same records
// posted in batches of 1024, structured clone or packed into transferred ArrayBuffers. All in this
// process, interleaved over rounds, so every ratio compares numbers of the same run
// (PLATFORM-LIMITS.md). Then a slow sink: records in flight, process RSS and each worker's heap
// over time. Prints numbers; asserts nothing.
//
// Env: WEIR_BENCH_RECORDS (default 2 000 000 per run; the packed raw runs move 2× as many; at 2 M a
// fresh worker's cold code and V8 compile weigh heavily: 24 000 000 makes the steady state dominate,
// where pooled and fresh workers cost the same per record),
// WEIR_BENCH_ROUNDS (default 3), WEIR_BENCH_BUDGET_S (default 45: once 3 rounds are done, no round
// starts that would likely end past it), WEIR_BENCH_ONLY (comma-separated variant ids, e.g.
// `w-bin-off` for a profile of one variant; also the diagnostics raw-codec-fresh, raw-codec-keyed
// and raw-codec-keyed-fresh: the codec as Weir ships batches today; `slow`: the slow-sink run,
// which otherwise runs only without WEIR_BENCH_ONLY), WEIR_BENCH_SLOW_RECORDS (default 150 000;
// 0 skips it), WEIR_BENCH_CREDITS / WEIR_BENCH_BATCH (Weir's network.credits / batchSize for its
// runs; default Weir's own, 4 and 1024). On Linux it also prints how the busiest threads spent each run (on a CPU, waiting
// for one, idle), which tells the machine's load from workers waiting on each other.
import { readdirSync, readFileSync } from 'node:fs';
import { MessageChannel, Worker } from 'node:worker_threads';
import { createWorkerPool, run, type MetricsEvent, type WorkerPool } from 'weir';
import { envInt, loadAverage, machine } from './harness.js';
import {
  CHECKPOINTS, finishBench, measureRounds, packingNote, printMemory, printThreads, RATIO_DEFS, summarizeMemory, uptime,
  type MemoryPoint, type MemoryReport, type Variant,
} from './workers-report.js';
import {
  expectedTotalV, jobModuleUrl, runWeirOnce, type BenchClock, type HeapProbe, type RawConfig, type RawMode, type RawResult, type Sample,
  type ThreadShare, type ThreadShares,
} from './workers-shared.js';

const envCount = (name: string, fallback: number): number => (process.env[name] === '0' ? 0 : envInt(name, fallback));

const RECORDS = envInt('WEIR_BENCH_RECORDS', 2_000_000);
const ROUNDS = envInt('WEIR_BENCH_ROUNDS', 3);
const BUDGET_MS = envInt('WEIR_BENCH_BUDGET_S', 45) * 1000;
const SLOW_RECORDS = envCount('WEIR_BENCH_SLOW_RECORDS', 150_000);
const PACKED_FACTOR = 2; // packed raw runs are ~5–10× faster: more records keep them near 0.5 s
const WARMUP_RECORDS = Math.min(RECORDS, 200_000);
const BATCH = 1024; // Weir's default network.batchSize
const CREDITS = 4; // Weir's default network.credits
const PARALLELISM = 2;
// Diagnostics: Weir's network.credits / network.batchSize for its runs (unset: Weir's defaults, as above).
const NETWORK_CREDITS = process.env.WEIR_BENCH_CREDITS === undefined ? undefined : envInt('WEIR_BENCH_CREDITS', CREDITS);
const NETWORK_BATCH = process.env.WEIR_BENCH_BATCH === undefined ? undefined : envInt('WEIR_BENCH_BATCH', BATCH);

const JOB = new URL('./jobs/exchange.job.js', import.meta.url);
const RAW_WORKER = new URL('./workers-raw.worker.js', import.meta.url);

/**
 * Per-thread accounting from Linux's /proc/self/task/<tid>/schedstat (ns on a CPU, ns waiting
 * runnable for one): tells a worker that idles (waiting for its peer, for credits) from one the
 * machine's load keeps off the CPU. Sampled every 50 ms, because Weir may terminate its workers
 * before `done` resolves, and their entries vanish with them; threads born after start are ignored.
 */
class ThreadSampler {
  private first = new Map<string, [number, number]>();
  private last = new Map<string, [number, number]>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private t0 = 0;

  static readonly available = (() => {
    try {
      readFileSync('/proc/self/task/' + process.pid + '/schedstat', 'utf8');
      return true;
    } catch {
      return false;
    }
  })();

  private snapshot(into: Map<string, [number, number]>, onlyKnown: boolean): void {
    let tids: string[];
    try {
      tids = readdirSync('/proc/self/task');
    } catch {
      return;
    }
    for (const tid of tids) {
      if (onlyKnown && !this.first.has(tid)) continue;
      try {
        const [run, wait] = readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
        into.set(tid, [run!, wait!]);
      } catch {
        // the thread ended between readdir and read
      }
    }
  }

  start(): void {
    if (!ThreadSampler.available) return;
    this.first.clear();
    this.last.clear();
    this.snapshot(this.first, false);
    this.snapshot(this.last, true);
    this.t0 = performance.now();
    this.timer = setInterval(() => this.snapshot(this.last, true), 50);
  }

  stop(): ThreadShares | undefined {
    if (this.timer === undefined) return undefined;
    clearInterval(this.timer);
    this.timer = undefined;
    this.snapshot(this.last, true);
    const wallNs = (performance.now() - this.t0) * 1e6;
    const share = (tid: string): ThreadShare => {
      const [r0, w0] = this.first.get(tid)!;
      const [r1, w1] = this.last.get(tid) ?? [r0, w0];
      return { run: (r1 - r0) / wallNs, wait: (w1 - w0) / wallNs };
    };
    const main = String(process.pid);
    const others = [...this.first.keys()].filter((t) => t !== main).map(share).sort((a, b) => b.run - a.run);
    return { main: share(main), busiest: others.slice(0, 2) };
  }
}

const sampler = new ThreadSampler();
let lastThreads: ThreadShares | undefined;

const clock: BenchClock = {
  now: () => performance.now(),
  cpuMs: () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  },
  mark: (phase) => {
    if (phase === 'start') sampler.start();
    else lastThreads = sampler.stop();
  },
};

let runs = 0;
// Warm workers (run(job, { workers: pool })): one pool per pooled variant, warmed by its warm-up run and kept across rounds.
const pools: WorkerPool[] = [];
function weirVariant(target: 'workers' | 'one-worker' | 'in-process' | 'one-thread', binary: boolean, ckpt: (typeof CHECKPOINTS)[number], pooled = false): Variant {
  const inWorkers = target === 'workers' || target === 'one-worker';
  const pool = pooled ? createWorkerPool() : undefined;
  if (pool !== undefined) pools.push(pool);
  const id = target === 'workers' ? (pooled ? `w-pool-${ckpt.id}` : `w-${binary ? 'bin' : 'clone'}-${ckpt.id}`) : target === 'one-worker' ? (pooled ? `w1-pool-${ckpt.id}` : `w1-${ckpt.id}`) : target === 'in-process' ? `ip-${ckpt.id}` : `ip1-${ckpt.id}`;
  return {
    id,
    label:
      target === 'workers' ? `Weir 2 ${pooled ? 'pooled (warm) ' : ''}workers, ${binary ? 'binary' : 'clone'}, ${ckpt.label}`
      : target === 'one-worker' ? `Weir one ${pooled ? 'pooled (warm) ' : ''}worker p1, ${ckpt.label}`
      : target === 'in-process' ? `Weir in-process p2, ${ckpt.label}` : `Weir one thread p1, ${ckpt.label}`,
    // One worker variant warms the runner's code; the others run the same code. A pooled one warms its own workers.
    warmup: !inWorkers || id === 'w-bin-off' || pooled,
    run: async (tag, warmup) => {
      lastThreads = undefined;
      const sample = await runWeirOnce({
        name: `bench-${id}-${tag}-${++runs}`,
        records: warmup ? WARMUP_RECORDS : RECORDS,
        jobModule: inWorkers ? JOB : undefined,
        parallelism: target === 'one-thread' || target === 'one-worker' ? 1 : PARALLELISM,
        intervalMs: ckpt.intervalMs,
        binary,
        pool,
        credits: NETWORK_CREDITS,
        batchSize: NETWORK_BATCH,
      }, clock);
      return lastThreads === undefined ? sample : { ...sample, threads: lastThreads };
    },
  };
}

function onceMessage<T>(worker: Worker, test: (message: unknown) => T | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown) => {
      const value = test(message);
      if (value === undefined) return;
      worker.off('message', onMessage);
      worker.off('error', onError);
      resolve(value);
    };
    const onError = (error: unknown) => {
      worker.off('message', onMessage);
      reject(error);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
  });
}

/** Two fresh bare workers (as Weir gets two fresh workers per run), one port between them. */
async function runRaw(mode: RawMode, records: number): Promise<Sample> {
  const config: RawConfig = { mode, records, batch: BATCH, window: CREDITS };
  const { port1, port2 } = new MessageChannel();
  const producer = new Worker(RAW_WORKER, { workerData: { role: 'producer', port: port1, config }, transferList: [port1] });
  const consumer = new Worker(RAW_WORKER, { workerData: { role: 'consumer', port: port2, config }, transferList: [port2] });
  try {
    const ready = (w: Worker) => onceMessage(w, (m) => (m === 'ready' ? true : undefined));
    await Promise.all([ready(producer), ready(consumer)]);
    const done = onceMessage(consumer, (m) => (m as { done?: RawResult }).done);
    const cpu0 = clock.cpuMs!() as number;
    sampler.start();
    const t0 = clock.now();
    producer.postMessage('go');
    const result = await done;
    const ms = clock.now() - t0;
    const threads = sampler.stop();
    const cpuMs = (clock.cpuMs!() as number) - cpu0;
    const expected = expectedTotalV(records);
    const error = result.records !== records || result.sumV !== expected ? `received ${result.records} records summing to ${result.sumV}, expected ${records} and ${expected}` : undefined;
    return { records, ms, cpuMs, ...(threads !== undefined ? { threads } : {}), ...(error !== undefined ? { error } : {}) };
  } finally {
    await Promise.all([producer.terminate(), consumer.terminate()]);
  }
}

function rawVariant(mode: RawMode, label: string): Variant {
  const factor = mode === 'clone' ? 1 : PACKED_FACTOR;
  return { id: `raw-${mode}`, label, run: (_tag, warmup) => runRaw(mode, (warmup ? WARMUP_RECORDS : RECORDS) * factor) };
}

const ALL: Variant[] = [
  ...CHECKPOINTS.map((c) => weirVariant('workers', true, c)),
  ...CHECKPOINTS.map((c) => weirVariant('workers', false, c)),
  weirVariant('in-process', true, CHECKPOINTS[0]!),
  weirVariant('one-thread', true, CHECKPOINTS[1]!),
  weirVariant('one-worker', true, CHECKPOINTS[1]!),
  weirVariant('workers', true, CHECKPOINTS[1]!, true),
  weirVariant('one-worker', true, CHECKPOINTS[1]!, true),
  rawVariant('clone', 'raw MessageChannel, arrays of 1024 (clone)'),
  rawVariant('packed', 'raw, packed 24 B/record, transferred'),
  rawVariant('codec', 'raw, Weir batch-codec, transferred'),
];
// Diagnostics of the codec as Weir's channels use it; only when named in WEIR_BENCH_ONLY.
const DIAGNOSTIC: Variant[] = [
  rawVariant('codec-fresh', 'raw, Weir batch-codec, a fresh buffer per batch'),
  rawVariant('codec-keyed', 'raw, Weir batch-codec + keys and key groups'),
  rawVariant('codec-keyed-fresh', 'raw, Weir batch-codec + keys, key groups, fresh buffers'),
];
const only = (process.env.WEIR_BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const variants = only.length > 0 ? [...ALL, ...DIAGNOSTIC].filter((v) => only.includes(v.id)) : ALL;
// `slow` in WEIR_BENCH_ONLY: the slow-sink run (otherwise it runs only when WEIR_BENCH_ONLY is unset).
const slowRun = SLOW_RECORDS > 0 && (only.length === 0 || only.includes('slow'));
if (variants.length === 0 && !slowRun) {
  console.error(`WEIR_BENCH_ONLY=${process.env.WEIR_BENCH_ONLY} matches no variant; ids: ${[...ALL, ...DIAGNOSTIC].map((v) => v.id).join(', ')}`);
  process.exit(1);
}

/** The slow sink: records in flight from the metrics event, this process's RSS, each worker's heap as its sink reports it. */
async function slowSinkRun(records: number): Promise<MemoryReport> {
  const sinkBusyUs = 20;
  const probe = `weir-bench-probe-${process.pid}-${Date.now()}`;
  const channel = new BroadcastChannel(probe);
  const heaps: (number | undefined)[] = [];
  channel.onmessage = (event) => {
    const p = (event as MessageEvent<HeapProbe>).data;
    heaps[p.subtask] = p.heapUsed;
  };
  const points: MemoryPoint[] = [];
  let inFlight: number | undefined;
  const handle = await run(jobModuleUrl(JOB, { name: `bench-slow-${Date.now()}`, records, sinkBusyUs, probe }), {
    parallelism: PARALLELISM,
    checkpointing: { intervalMs: 1000 },
    resume: 'none',
    heartbeat: { intervalMs: 50 },
    metricsIntervalMs: 50,
  });
  const t0 = performance.now();
  handle.on('metrics', (m: MetricsEvent) => {
    const out = m.subtasks.filter((s) => s.subtask.vertexId === 0).reduce((n, s) => n + s.recordsOut, 0);
    const received = m.subtasks.filter((s) => s.subtask.vertexId === 1).reduce((n, s) => n + s.recordsIn, 0);
    inFlight = out - received;
  });
  const sampler = setInterval(() => {
    points.push({ at: performance.now() - t0, rss: process.memoryUsage.rss(), ...(inFlight !== undefined ? { inFlight } : {}), workerHeap: [...heaps] });
  }, 100);
  let error: string | undefined;
  try {
    await handle.done;
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  } finally {
    clearInterval(sampler);
    channel.close();
  }
  return summarizeMemory({ records, sinkBusyUs, batchSize: BATCH, credits: CREDITS, ms: performance.now() - t0, points, ...(error !== undefined ? { error } : {}) }, PARALLELISM);
}

const m = machine();
const loadAtStart = loadAverage();
const uptimeAtStart = uptime();
console.log(`workers: ${RECORDS.toLocaleString('en-US')} records per run (packed raw: ×${PACKED_FACTOR}), ${PARALLELISM} workers, batches of ${BATCH}, credits ${CREDITS}; ${ROUNDS} rounds (+1 warm-up of ${WARMUP_RECORDS.toLocaleString('en-US')})`);
console.log(`machine: ${m.os}; ${m.cpu} × ${m.cpus}; ${m.memoryGB} GB; node ${m.node} (V8 ${m.v8}); ${uptimeAtStart}`);
console.log('rec/s counts from the job deployed (run() resolved) or the raw producer told to go, to the last record; startup (spawning workers, loading the job) is shown apart');
console.log(packingNote(readFileSync(new URL(import.meta.resolve('weir/worker-node')), 'utf8')));
console.log('in Weir\'s workers about half of the records cross a MessagePort (keyBy sends each key to one of the 2 workers); in the raw runs every record does');

const benchStarted = performance.now();
const errors: string[] = [];
const { rounds, summary, ratioList } = await measureRounds(
  variants, { rounds: ROUNDS, minRounds: Math.min(3, ROUNDS), budgetMs: BUDGET_MS, warmup: true }, RATIO_DEFS, 'rec/CPU-s (all threads)', errors,
);
if (ThreadSampler.available) {
  console.log('');
  printThreads(summary);
}

let memory: MemoryReport | undefined;
if (slowRun) {
  console.log('');
  try {
    memory = await slowSinkRun(SLOW_RECORDS);
    printMemory(memory, 'process RSS (all threads)');
  } catch (e) {
    errors.push(`slow sink: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
}

finishBench({ name: 'workers', machine: m, startedAt: benchStarted, loadAtStart, uptimeAtStart, errors }, {
  records: RECORDS,
  packedFactor: PACKED_FACTOR,
  batch: BATCH,
  credits: CREDITS,
  rounds,
  variants: summary,
  ratios: ratioList,
  memory,
});
await Promise.all(pools.map((p) => p.close()));
// Worker threads of a failed run might keep the loop alive; the results are out.
process.exit(0);
