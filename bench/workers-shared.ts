// What the worker benchmarks share between Node (bench/workers.bench.ts) and Chromium
// (bench/chromium/): the records, the exchange job, the correctness check, and the raw
// MessageChannel ceiling (two bare workers, no runtime). No Node or DOM-only imports: this
// module is bundled into worker_threads, Web Workers and a page alike.
//
// Records are PLATFORM-LIMITS.md's `{ k: string(8), v: number, t: number }`; "packed" is the
// same record in 24 bytes, here columnar: 8·n ASCII bytes of keys, then n float64 v, n float64 t.
import { job, readTable, run, sinks, sources, type JobDefinition, type RunOptions, type Sink, type WorkerPool } from 'weir';
import { distinctWords } from './words.js';

export const DISTINCT_KEYS = 1000;

/** The same distinct 8-letter words in every run and every thread. */
export const KEYS: readonly string[] = distinctWords(DISTINCT_KEYS);

export interface Rec {
  k: string;
  v: number;
  t: number;
}

/** Record n: key n mod 1000, v in 1..10, t = n. */
export const makeRecord = (n: number): Rec => ({ k: KEYS[n % DISTINCT_KEYS]!, v: 1 + (n % 10), t: n });

/** The sum of v every key must end with after `records` records (key i's records all have v = 1 + i % 10). */
export function expectedSum(records: number, keyIndex: number): number {
  const count = Math.floor(records / DISTINCT_KEYS) + (keyIndex < records % DISTINCT_KEYS ? 1 : 0);
  return count * (1 + (keyIndex % 10));
}

/** undefined if `rows` (one per key: the latest running sum) are the right sums; otherwise what is wrong. */
export function checkSums(records: number, rows: Iterable<Rec>): string | undefined {
  const got = new Map<string, number>();
  for (const r of rows) got.set(r.k, r.v);
  const keys = Math.min(records, DISTINCT_KEYS);
  if (got.size !== keys) return `${got.size} keys in the sink, expected ${keys}`;
  for (let i = 0; i < keys; i++) {
    const actual = got.get(KEYS[i]!);
    const expected = expectedSum(records, i);
    if (actual !== expected) return `key '${KEYS[i]}' sums to ${actual}, expected ${expected}`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The exchange job: sequence → map to a record → keyBy(k) → running sum('v') → sink.

export interface ExchangeParams {
  readonly name: string;
  readonly records: number;
  /** Busy-wait this many microseconds per record in the sink (the slow-sink run); 0: an upsert table. */
  readonly sinkBusyUs: number;
  /** With a slow sink: the BroadcastChannel the sink reports its thread's heap on (about every 100 ms). */
  readonly probe: string | undefined;
}

export function exchangeParams(query: URLSearchParams): ExchangeParams {
  return {
    name: query.get('name') ?? 'exchange',
    records: Number(query.get('records') ?? 2_000_000),
    sinkBusyUs: Number(query.get('sinkBusyUs') ?? 0),
    probe: query.get('probe') ?? undefined,
  };
}

/** The job module's URL query for these parameters. */
export function exchangeQuery(p: ExchangeParams): string {
  const q = new URLSearchParams({ name: p.name, records: String(p.records), sinkBusyUs: String(p.sinkBusyUs) });
  if (p.probe !== undefined) q.set('probe', p.probe);
  return q.toString();
}

/** What the slow sink reports: the heap of the thread it runs in (a worker), from inside it. */
export interface HeapProbe {
  readonly subtask: number;
  readonly at: number;
  readonly records: number;
  /** This thread's V8 heap in use: Node `process.memoryUsage().heapUsed`, Chromium `performance.memory.usedJSHeapSize`. */
  readonly heapUsed: number | undefined;
  /** Node only: the whole process's resident set (every thread). */
  readonly rss: number | undefined;
}

function threadHeap(): { heapUsed: number | undefined; rss: number | undefined } {
  const proc = (globalThis as { process?: { memoryUsage?: () => { heapUsed: number; rss: number } } }).process;
  if (typeof proc?.memoryUsage === 'function') {
    const m = proc.memoryUsage();
    return { heapUsed: m.heapUsed, rss: m.rss };
  }
  const memory = (globalThis.performance as { memory?: { usedJSHeapSize: number } } | undefined)?.memory;
  return { heapUsed: memory?.usedJSHeapSize, rss: undefined };
}

/** A sink that spends `busyUs` per record (spinning on Date.now / performance.now) and reports its heap. */
function slowSink(busyUs: number, probe: string | undefined): Sink<Rec> {
  return {
    kind: 'weir.sink',
    name: 'slow',
    guarantee: 'at-least-once',
    createWriter: (ctx) => {
      const channel = probe !== undefined && typeof BroadcastChannel === 'function' ? new BroadcastChannel(probe) : undefined;
      let records = 0;
      let lastReport = 0;
      const report = () => {
        const at = Date.now();
        lastReport = at;
        channel?.postMessage({ subtask: ctx.subtaskIndex, at, records, ...threadHeap() } satisfies HeapProbe);
      };
      return {
        write() {
          const end = performance.now() + busyUs / 1000;
          while (performance.now() < end);
          if ((++records & 255) === 0 && Date.now() - lastReport >= 100) report();
        },
        prepareCommit: () => {
          report();
          return undefined;
        },
        commit: async () => {},
      };
    },
  };
}

export function buildExchangeJob(p: ExchangeParams): JobDefinition {
  return job(p.name, (env) => {
    const summed = env
      .fromSource(sources.sequence({ from: 0, to: p.records }), { uid: 'numbers' })
      .map(makeRecord)
      .keyBy((r) => r.k)
      .sum('v');
    if (p.sinkBusyUs > 0) summed.sinkTo(slowSink(p.sinkBusyUs, p.probe), { uid: 'slow' });
    else summed.sinkTo(sinks.table<Rec>('sums', { key: 'k' }), { uid: 'sums' });
  });
}

// ---------------------------------------------------------------------------------------------
// The raw ceiling: a producer worker makes the same records and posts them in batches through a
// MessageChannel to a consumer worker, which counts them and sums v. Credit-based like Weir's
// channels (a window of batches; one credit message back per batch consumed).

/** 'clone': arrays of record objects, structured clone. 'packed': the hand-written 24-byte
 * layout in a transferred ArrayBuffer, encoded from objects and decoded back to objects.
 * 'codec': Weir's own src/channel/batch-codec.ts, transferred (its buffers handed back). */
export type RawMode = 'clone' | 'packed' | 'codec' | RawDiagnosticMode;

/**
 * Diagnostic modes, run only when named in WEIR_BENCH_ONLY: Weir's codec as Weir's channels use
 * it today, a fresh buffer per batch ('-fresh': nothing handed back) and/or the keyed edge's
 * keys and key groups packed beside the records ('-keyed').
 */
export type RawDiagnosticMode = 'codec-fresh' | 'codec-keyed' | 'codec-keyed-fresh';

export interface RawConfig {
  readonly mode: RawMode;
  readonly records: number;
  readonly batch: number;
  /** Batches in flight (credits). */
  readonly window: number;
}

/** What the consumer reports when the last record arrived. */
export interface RawResult {
  readonly records: number;
  readonly sumV: number;
}

/** The sum of v over records 0..n-1 (the raw consumer's check). */
export function expectedTotalV(records: number): number {
  let total = 0;
  for (let i = 0; i < Math.min(records, DISTINCT_KEYS); i++) total += expectedSum(records, i);
  return total;
}

/** What the raw workers need of a port: a browser MessagePort and a Node worker_threads one both fit. */
export interface RawPort {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  close(): void;
}

/** The packing a raw run uses; 'codec' passes Weir's encodeBatch/decodeBatch in (bundled from src/). */
export interface RawCodec {
  encode(records: Rec[], spare: ArrayBuffer | undefined): ArrayBuffer;
  decode(buffer: ArrayBuffer): Rec[];
  /** false: the consumer returns a plain credit, not the buffer, so the producer allocates one per batch. */
  readonly recycle?: boolean;
}

const utf8 = new TextDecoder();

/** PLATFORM-LIMITS.md's packed record, columnar: keys (8 ASCII bytes each), then v, then t as float64. */
export const packedCodec: RawCodec = {
  encode(records, spare) {
    const n = records.length;
    const buffer = spare !== undefined && spare.byteLength >= 24 * n ? spare : new ArrayBuffer(24 * n);
    const bytes = new Uint8Array(buffer, 0, 8 * n);
    const v = new Float64Array(buffer, 8 * n, n);
    const t = new Float64Array(buffer, 16 * n, n);
    for (let i = 0; i < n; i++) {
      const r = records[i]!;
      const k = r.k;
      const o = 8 * i;
      for (let j = 0; j < 8; j++) bytes[o + j] = k.charCodeAt(j);
      v[i] = r.v;
      t[i] = r.t;
    }
    return buffer;
  },
  decode(buffer) {
    // The record count travels as the buffer's first use: n = byteLength / 24 unless recycled, so the producer sizes it exactly.
    const n = buffer.byteLength / 24;
    const keys = utf8.decode(new Uint8Array(buffer, 0, 8 * n));
    const v = new Float64Array(buffer, 8 * n, n);
    const t = new Float64Array(buffer, 16 * n, n);
    const out: Rec[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = { k: keys.slice(8 * i, 8 * i + 8), v: v[i]!, t: t[i]! };
    return out;
  },
};

/** The producer: waits for 'go' from its parent, then posts every record in batches, within the credit window. */
export function rawProducer(port: RawPort, config: RawConfig, codec: RawCodec | undefined): { go(): void } {
  let sent = 0;
  let credits = config.window;
  const spares: ArrayBuffer[] = [];
  const pump = () => {
    while (credits > 0 && sent < config.records) {
      const n = Math.min(config.batch, config.records - sent);
      const records: Rec[] = new Array(n);
      for (let i = 0; i < n; i++) records[i] = makeRecord(sent + i);
      sent += n;
      credits--;
      if (codec === undefined) port.postMessage(records);
      else {
        // A full batch reuses a returned buffer (the packed layout needs the exact size: only full batches do).
        const spare = n === config.batch ? spares.pop() : undefined;
        const buffer = codec.encode(records, spare);
        port.postMessage(buffer, [buffer]);
      }
    }
  };
  port.onmessage = (event) => {
    const data = event.data as number | ArrayBuffer;
    if (typeof data === 'number') credits += data;
    else {
      credits++;
      spares.push(data);
    }
    pump();
  };
  return { go: pump };
}

/** The consumer: counts records and sums v; calls `done` once every record arrived. */
export function rawConsumer(port: RawPort, config: RawConfig, codec: RawCodec | undefined, done: (result: RawResult) => void): void {
  let count = 0;
  let sumV = 0;
  port.onmessage = (event) => {
    const data = event.data;
    const records = codec === undefined ? (data as Rec[]) : codec.decode(data as ArrayBuffer);
    for (let i = 0; i < records.length; i++) sumV += records[i]!.v;
    count += records.length;
    // Hand the buffer back with the credit, so the producer need not allocate one per batch.
    if (codec === undefined || codec.recycle === false) port.postMessage(1);
    else port.postMessage(data, [data as ArrayBuffer]);
    if (count >= config.records) done({ records: count, sumV });
  };
}

// ---------------------------------------------------------------------------------------------
// One measured run, the same in Node and in the page.

/** What one measured run gives back (plain data: it crosses page.evaluate). */
export interface Sample {
  readonly records: number;
  /** From the job deployed (run() resolved) or the raw producer told to go, to the last record counted / `done`. */
  readonly ms: number;
  /** Weir: from run() called to run() resolved (workers spawned, job module loaded, tasks deployed). */
  readonly startupMs?: number;
  /** CPU time over `ms` of every thread of the process (Node) or of the page's renderer process (Chromium, via CDP). */
  readonly cpuMs?: number;
  /** Completed checkpoints, the final one (taken when the input ended) included. */
  readonly checkpoints?: number;
  readonly finalCheckpoints?: number;
  /** End-to-end durations (trigger to completion) of the completed checkpoints. */
  readonly checkpointMs?: number[];
  readonly failedCheckpoints?: number;
  /** Set when the output was wrong; the time is still reported. */
  readonly error?: string;
  /** Node on Linux: how the busiest threads spent the measured interval (/proc/self/task/<tid>/schedstat). */
  readonly threads?: ThreadShares;
}

/** Fractions of the measured interval's wall time a thread ran, and waited runnable for a CPU (the rest it was idle, blocked). */
export interface ThreadShare {
  readonly run: number;
  readonly wait: number;
}

export interface ThreadShares {
  readonly main: ThreadShare;
  /** The other threads that ran the most (the two workers), busiest first. */
  readonly busiest: ThreadShare[];
}

export interface BenchClock {
  now(): number;
  /** Cumulative CPU milliseconds, if this platform can tell. */
  cpuMs?(): number | Promise<number>;
  /** Called when the measured interval starts (the job deployed) and ends: per-thread accounting, say. */
  mark?(phase: 'start' | 'end'): void;
}

export interface WeirRunSpec {
  readonly name: string;
  readonly records: number;
  /** A URL: the job module, run in workers. Undefined: the same job as a definition, in this thread. */
  readonly jobModule: URL | undefined;
  readonly parallelism: number;
  readonly intervalMs: number | undefined;
  readonly binary: boolean;
  /** Warm workers to run in (createWorkerPool), kept across runs. */
  readonly pool?: WorkerPool | undefined;
  /** network.credits / network.batchSize, when not Weir's defaults (a diagnostic: WEIR_BENCH_CREDITS, WEIR_BENCH_BATCH). */
  readonly credits?: number | undefined;
  readonly batchSize?: number | undefined;
}

export function jobModuleUrl(base: URL, p: ExchangeParams): URL {
  return new URL(`?${exchangeQuery(p)}`, base);
}

export async function runWeirOnce(spec: WeirRunSpec, clock: BenchClock): Promise<Sample> {
  const params: ExchangeParams = { name: spec.name, records: spec.records, sinkBusyUs: 0, probe: undefined };
  const options: RunOptions = {
    parallelism: spec.parallelism,
    checkpointing: spec.intervalMs === undefined ? false : { intervalMs: spec.intervalMs },
    resume: 'none',
    network: { binary: spec.binary, ...(spec.credits !== undefined ? { credits: spec.credits } : {}), ...(spec.batchSize !== undefined ? { batchSize: spec.batchSize } : {}) },
    ...(spec.pool !== undefined ? { workers: spec.pool } : {}),
  };
  const called = clock.now();
  const handle = await run(spec.jobModule === undefined ? buildExchangeJob(params) : jobModuleUrl(spec.jobModule, params), options);
  const started = clock.now();
  const cpu0 = await clock.cpuMs?.();
  clock.mark?.('start');
  await handle.done;
  const ended = clock.now();
  clock.mark?.('end');
  const cpu1 = await clock.cpuMs?.();
  const stats = handle.checkpoints();
  const completed = stats.filter((c) => c.status === 'completed');
  let error: string | undefined;
  try {
    error = checkSums(spec.records, await readTable<Rec>(spec.name, 'sums'));
  } catch (e) {
    error = `readTable failed: ${e instanceof Error ? e.message : String(e)}`;
  }
  return {
    records: spec.records,
    ms: ended - started,
    startupMs: started - called,
    ...(cpu0 !== undefined && cpu1 !== undefined ? { cpuMs: cpu1 - cpu0 } : {}),
    checkpoints: completed.length,
    finalCheckpoints: completed.filter((c) => c.final).length,
    checkpointMs: completed.map((c) => c.durationMs ?? NaN),
    failedCheckpoints: stats.filter((c) => c.status === 'failed').length,
    ...(error !== undefined ? { error } : {}),
  };
}
