// The Node side shared by bench/workers.bench.ts and bench/workers-chromium.bench.ts: interleaved
// rounds under a time budget, the summary table, the same-run ratio table, and the slow-sink
// memory table. Prints numbers; asserts nothing.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { collectGarbage, formatRate, formatRatio, loadAverage, median, printTable, saveResults, type Machine } from './harness.js';
import type { Sample, ThreadShare } from './workers-shared.js';

export interface Variant {
  readonly id: string;
  readonly label: string;
  /** Whether the warm-up runs it (default true); variants that share all their code with another can skip it. */
  readonly warmup?: boolean;
  run(tag: string, warmup: boolean): Promise<Sample>;
}

export type RoundSample = Sample & { readonly round: number };

export interface RoundsOptions {
  readonly rounds: number;
  readonly minRounds: number;
  readonly budgetMs: number;
  /** Runs every variant once (small) before the rounds, unmeasured. */
  readonly warmup: boolean;
}

/** `uptime`'s load line, for the record: the machine is shared. */
export function uptime(): string {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return 'uptime unavailable';
  }
}

export async function runRounds(variants: readonly Variant[], o: RoundsOptions, errors: string[]): Promise<{ samples: Map<string, RoundSample[]>; rounds: number }> {
  const samples = new Map<string, RoundSample[]>(variants.map((v) => [v.id, []]));
  const started = performance.now();
  const measure = async (v: Variant, tag: string, warmup: boolean): Promise<Sample | undefined> => {
    collectGarbage();
    try {
      const s = await v.run(tag, warmup);
      if (s.error !== undefined) errors.push(`${v.id} (${tag}): wrong output: ${s.error}`);
      return s;
    } catch (e) {
      errors.push(`${v.id} (${tag}): failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      return undefined;
    }
  };
  if (o.warmup) for (const v of variants) if (v.warmup !== false) await measure(v, 'warmup', true);
  let rounds = 0;
  for (let round = 0; round < o.rounds; round++) {
    const elapsed = performance.now() - started;
    if (round >= o.minRounds && elapsed + elapsed / round > o.budgetMs) {
      console.log(`stopping after ${round} rounds: another would end past the ${o.budgetMs / 1000} s budget (WEIR_BENCH_BUDGET_S)`);
      break;
    }
    rounds++;
    // Rotate the order each round, so no variant always runs right after the same neighbour.
    const order = variants.map((_, i) => variants[(i + round) % variants.length]!);
    const line: string[] = [];
    for (const v of order) {
      const s = await measure(v, `r${round}`, false);
      if (s !== undefined) {
        samples.get(v.id)!.push({ ...s, round });
        line.push(`${v.id} ${formatRate(rate(s))}`);
      }
    }
    console.log(`round ${round + 1}/${o.rounds}: ${line.join(', ')}`);
  }
  return { samples, rounds };
}

export const rate = (s: Sample): number => s.records / (s.ms / 1000);
/** Records per second of CPU time (every thread): the figure to trust when the load average is high. */
export const cpuRate = (s: Sample): number => (s.cpuMs === undefined || s.cpuMs <= 0 ? NaN : s.records / (s.cpuMs / 1000));

const medianOr = (values: number[]): number => (values.length > 0 ? median(values) : NaN);

export interface Summary {
  readonly id: string;
  readonly label: string;
  readonly runs: number;
  readonly medianRecordsPerSecond: number;
  readonly minRecordsPerSecond: number;
  readonly maxRecordsPerSecond: number;
  readonly medianMs: number;
  readonly medianStartupMs: number;
  readonly medianRecordsPerCpuSecond: number;
  readonly medianCheckpoints: number | undefined;
  readonly medianFinalCheckpoints: number | undefined;
  readonly medianCheckpointMs: number | undefined;
  readonly failedCheckpoints: number;
  readonly wrongOutputs: number;
  readonly samples: RoundSample[];
}

export function summarize(variants: readonly Variant[], samples: Map<string, RoundSample[]>): Summary[] {
  return variants.map((v) => {
    const list = samples.get(v.id)!;
    const rates = list.map(rate);
    const ckpts = list.flatMap((s) => (s.checkpoints === undefined ? [] : [s.checkpoints]));
    const finals = list.flatMap((s) => (s.finalCheckpoints === undefined ? [] : [s.finalCheckpoints]));
    const ckptMs = list.flatMap((s) => s.checkpointMs ?? []).filter(Number.isFinite);
    return {
      id: v.id,
      label: v.label,
      runs: list.length,
      medianRecordsPerSecond: medianOr(rates),
      minRecordsPerSecond: rates.length > 0 ? Math.min(...rates) : NaN,
      maxRecordsPerSecond: rates.length > 0 ? Math.max(...rates) : NaN,
      medianMs: medianOr(list.map((s) => s.ms)),
      medianStartupMs: medianOr(list.flatMap((s) => (s.startupMs === undefined ? [] : [s.startupMs]))),
      medianRecordsPerCpuSecond: medianOr(list.map(cpuRate).filter(Number.isFinite)),
      medianCheckpoints: ckpts.length > 0 ? median(ckpts) : undefined,
      medianFinalCheckpoints: finals.length > 0 ? median(finals) : undefined,
      medianCheckpointMs: ckptMs.length > 0 ? median(ckptMs) : undefined,
      failedCheckpoints: list.reduce((n, s) => n + (s.failedCheckpoints ?? 0), 0),
      wrongOutputs: list.filter((s) => s.error !== undefined).length,
      samples: list,
    };
  });
}

export function printSummary(summary: readonly Summary[], cpuLabel: string): void {
  printTable(
    ['variant', 'median rec/s', 'min – max rec/s', 'median ms', 'startup ms', cpuLabel, 'checkpoints/run (+final)', 'ckpt ms', 'ok'],
    summary.map((s) => [
      s.label,
      formatRate(s.medianRecordsPerSecond),
      `${formatRate(s.minRecordsPerSecond)} – ${formatRate(s.maxRecordsPerSecond)}`,
      Number.isFinite(s.medianMs) ? s.medianMs.toFixed(0) : '–',
      Number.isFinite(s.medianStartupMs) ? s.medianStartupMs.toFixed(0) : '',
      formatRate(s.medianRecordsPerCpuSecond),
      s.medianCheckpoints === undefined
        ? ''
        : `${s.medianCheckpoints - (s.medianFinalCheckpoints ?? 0)} + ${s.medianFinalCheckpoints ?? 0}${s.failedCheckpoints > 0 ? `, ${s.failedCheckpoints} failed` : ''}`,
      s.medianCheckpointMs === undefined ? '' : s.medianCheckpointMs.toFixed(1),
      s.runs === 0 ? 'FAILED' : s.wrongOutputs > 0 ? `${s.wrongOutputs} WRONG` : 'yes',
    ]),
  );
}

export interface RatioDef {
  readonly label: string;
  readonly numerator: string;
  readonly denominator: string;
  /** The issue's aims for this ratio, printed beside it. */
  readonly aims?: readonly number[];
  /**
   * A parallel variant over a one-thread one: its threads. Then also printed: threads × the
   * CPU-time ratio, the speed-up its CPU cost allows when every thread has a core to itself (the
   * wall-clock ratio falls short of it by the waiting and the imbalance; it falls short of
   * `threads` by the CPU the exchange between the threads costs).
   */
  readonly threads?: number;
}

export interface Ratio extends RatioDef {
  readonly ofMedians: number;
  readonly perRoundMin: number;
  readonly perRoundMax: number;
  readonly ofCpuMedians: number;
}

/**
 * A ratio of medians, and the range of the per-round ratios (the two variants of one round ran
 * close together, so these pairs share the machine's state at that moment).
 */
export function ratios(defs: readonly RatioDef[], summary: readonly Summary[]): Ratio[] {
  const byId = new Map(summary.map((s) => [s.id, s]));
  return defs.flatMap((d) => {
    const a = byId.get(d.numerator);
    const b = byId.get(d.denominator);
    if (a === undefined || b === undefined || a.runs === 0 || b.runs === 0) return [];
    const pairs = a.samples.flatMap((s) => {
      const other = b.samples.find((o) => o.round === s.round);
      return other === undefined ? [] : [rate(s) / rate(other)];
    });
    return [{
      ...d,
      ofMedians: a.medianRecordsPerSecond / b.medianRecordsPerSecond,
      perRoundMin: pairs.length > 0 ? Math.min(...pairs) : NaN,
      perRoundMax: pairs.length > 0 ? Math.max(...pairs) : NaN,
      ofCpuMedians: a.medianRecordsPerCpuSecond / b.medianRecordsPerCpuSecond,
    }];
  });
}

export function printRatios(list: readonly Ratio[], cpuLabel: string): void {
  if (list.length === 0) return;
  const parallel = list.some((r) => r.threads !== undefined);
  printTable(
    ['ratio (same run)', 'of medians', 'per-round min – max', 'aim', cpuLabel, ...(parallel ? ['threads × CPU ratio (a core each)'] : [])],
    list.map((r) => [
      r.label,
      formatRatio(r.ofMedians),
      `${formatRatio(r.perRoundMin)} – ${formatRatio(r.perRoundMax)}`,
      (r.aims ?? []).map((aim) => `≥ ${aim}× ${r.ofMedians >= aim ? 'met' : 'NOT met'}`).join('; '),
      formatRatio(r.ofCpuMedians),
      ...(parallel ? [r.threads === undefined ? '' : `${formatRatio(r.threads * r.ofCpuMedians)}${r.aims?.length ? ` (${r.aims.map((a) => (r.threads! * r.ofCpuMedians >= a ? `≥ ${a}×` : `< ${a}×`)).join(', ')})` : ''}`] : []),
    ]),
  );
}

/** The ratios both benches print (variant ids as both define them). */
export const RATIO_DEFS: readonly RatioDef[] = [
  { label: 'parallelism: Weir 2 workers binary, ckpt 1 s / one thread p1, ckpt 1 s', numerator: 'w-bin-1s', denominator: 'ip1-1s', aims: [1.5], threads: 2 },
  { label: 'parallelism, fresh workers both: Weir 2 workers binary / one worker p1, ckpt 1 s', numerator: 'w-bin-1s', denominator: 'w1-1s', aims: [1.5], threads: 2 },
  { label: 'a worker\'s own cost: one worker p1 / one thread p1, ckpt 1 s', numerator: 'w1-1s', denominator: 'ip1-1s' },
  { label: 'parallelism, warm: Weir 2 pooled workers / one thread p1, ckpt 1 s', numerator: 'w-pool-1s', denominator: 'ip1-1s', aims: [1.5], threads: 2 },
  { label: 'parallelism, warm both: Weir 2 pooled workers / one pooled worker p1, ckpt 1 s', numerator: 'w-pool-1s', denominator: 'w1-pool-1s', aims: [1.5], threads: 2 },
  { label: 'what a warm pool saves: 2 pooled workers / 2 fresh workers, ckpt 1 s', numerator: 'w-pool-1s', denominator: 'w-bin-1s' },
  { label: 'Weir workers binary (default), ckpt 1 s / raw clone ceiling', numerator: 'w-bin-1s', denominator: 'raw-clone', aims: [0.6, 2] },
  { label: 'Weir workers binary, ckpt off / raw clone ceiling', numerator: 'w-bin-off', denominator: 'raw-clone', aims: [2] },
  { label: 'Weir workers clone, ckpt 1 s / raw clone ceiling', numerator: 'w-clone-1s', denominator: 'raw-clone', aims: [0.6] },
  { label: 'Weir workers binary / clone, ckpt off', numerator: 'w-bin-off', denominator: 'w-clone-off' },
  { label: 'Weir workers binary / clone, ckpt 1 s', numerator: 'w-bin-1s', denominator: 'w-clone-1s' },
  { label: 'Weir workers binary / clone, ckpt 100 ms', numerator: 'w-bin-100ms', denominator: 'w-clone-100ms' },
  { label: 'Weir workers binary, ckpt off / in-process p2, ckpt off', numerator: 'w-bin-off', denominator: 'ip-off' },
  { label: 'Weir workers binary, ckpt 1 s / in-process p2, ckpt off', numerator: 'w-bin-1s', denominator: 'ip-off' },
  { label: 'checkpoint cost: workers binary, 1 s / off', numerator: 'w-bin-1s', denominator: 'w-bin-off' },
  { label: 'checkpoint cost: workers binary, 100 ms / off', numerator: 'w-bin-100ms', denominator: 'w-bin-off' },
  { label: 'checkpoint cost: workers clone, 1 s / off', numerator: 'w-clone-1s', denominator: 'w-clone-off' },
  { label: 'checkpoint cost: workers clone, 100 ms / off', numerator: 'w-clone-100ms', denominator: 'w-clone-off' },
  { label: 'raw packed (hand-written) / raw clone', numerator: 'raw-packed', denominator: 'raw-clone' },
  { label: 'raw packed (Weir batch-codec) / raw clone', numerator: 'raw-codec', denominator: 'raw-clone' },
];

/** The variants both benches run: Weir in 2 workers (binary on/off × checkpoints), in-process, raw. */
export const CHECKPOINTS: readonly { readonly id: string; readonly label: string; readonly intervalMs: number | undefined }[] = [
  { id: 'off', label: 'ckpt off', intervalMs: undefined },
  { id: '1s', label: 'ckpt 1 s', intervalMs: 1000 },
  { id: '100ms', label: 'ckpt 100 ms', intervalMs: 100 },
];

// ---------------------------------------------------------------------------------------------
// The slow-sink memory run.

export interface MemoryPoint {
  /** ms since the job was deployed. */
  readonly at: number;
  readonly inFlight?: number;
  /** This process's (Node: every thread's) or the renderer's resident set, bytes. */
  readonly rss?: number;
  /** Per worker (subtask index): that thread's V8 heap in use, reported by the sink from inside it. */
  readonly workerHeap?: readonly (number | undefined)[];
}

export interface MemoryReport {
  readonly records: number;
  readonly sinkBusyUs: number;
  readonly batchSize: number;
  readonly credits: number;
  readonly ms: number;
  readonly points: MemoryPoint[];
  readonly maxInFlight: number;
  /** Records in flight the credits allow (as test/node/workers.test.ts bounds them). */
  readonly inFlightBound: number;
  readonly rssMB: { start: number; max: number; end: number } | undefined;
  readonly workerHeapMB: { subtask: number; min: number; max: number; samples: number }[];
  readonly error?: string;
}

const mb = (bytes: number): number => Math.round(bytes / 1e5) / 10;

export function summarizeMemory(
  base: Omit<MemoryReport, 'maxInFlight' | 'inFlightBound' | 'rssMB' | 'workerHeapMB'>,
  workers: number,
): MemoryReport {
  const inFlight = base.points.flatMap((p) => (p.inFlight === undefined ? [] : [p.inFlight]));
  const rss = base.points.flatMap((p) => (p.rss === undefined ? [] : [p.rss]));
  const heaps = Array.from({ length: workers }, (_, w) => base.points.flatMap((p) => {
    const h = p.workerHeap?.[w];
    return h === undefined ? [] : [h];
  }));
  return {
    ...base,
    maxInFlight: inFlight.length > 0 ? Math.max(...inFlight) : NaN,
    // Per channel: the batch being filled, `credits` queued, an overdraft batch and the one in the sink; workers² channels.
    inFlightBound: workers * workers * (base.credits + 3) * base.batchSize,
    rssMB: rss.length > 0 ? { start: mb(rss[0]!), max: mb(Math.max(...rss)), end: mb(rss[rss.length - 1]!) } : undefined,
    workerHeapMB: heaps.map((h, subtask) => ({ subtask, min: h.length > 0 ? mb(Math.min(...h)) : NaN, max: h.length > 0 ? mb(Math.max(...h)) : NaN, samples: h.length })),
  };
}

export function printMemory(m: MemoryReport, rssLabel: string, heapLabel = 'V8 heap used (reported from inside by its sink)'): void {
  console.log(`slow sink: ${m.records.toLocaleString('en-US')} records, the sink busy ${m.sinkBusyUs} µs per record, batch ${m.batchSize}, credits ${m.credits}: ${(m.ms / 1000).toFixed(1)} s${m.error !== undefined ? `; ERROR ${m.error}` : ''}`);
  const rows: string[][] = [
    // The workers' counters arrive with their heartbeats, not at one instant: a sample can be off by a heartbeat's worth (even negative).
    ['records in flight (source recordsOut − sink recordsIn, ± heartbeat skew), max', String(m.maxInFlight), `bound ${m.inFlightBound} (${m.inFlightBound <= 0 || m.maxInFlight <= m.inFlightBound ? 'held' : 'EXCEEDED'})`],
  ];
  if (m.rssMB !== undefined) rows.push([`${rssLabel}, MB start / max / end`, `${m.rssMB.start} / ${m.rssMB.max} / ${m.rssMB.end}`, '']);
  for (const h of m.workerHeapMB) {
    rows.push([`worker ${h.subtask} ${heapLabel}, MB min – max`, h.samples > 0 ? `${h.min} – ${h.max}` : 'not reported', `${h.samples} samples`]);
  }
  printTable(['measure', 'value', ''], rows);
  // A coarse time line: one row per ~10 % of the run.
  const step = Math.max(1, Math.floor(m.points.length / 10));
  const line = m.points.filter((_, i) => i % step === 0).map((p) => {
    const parts = [`${(p.at / 1000).toFixed(1)} s`];
    if (p.inFlight !== undefined) parts.push(`in flight ${p.inFlight}`);
    if (p.rss !== undefined) parts.push(`rss ${mb(p.rss)} MB`);
    if (p.workerHeap !== undefined) parts.push(`heaps ${p.workerHeap.map((h) => (h === undefined ? '?' : `${mb(h)}`)).join('/')} MB`);
    return parts.join(', ');
  });
  for (const l of line) console.log(`  ${l}`);
}

/**
 * Whether a built worker entry packs batches: the entries pass `packing: undefined` until the
 * batch codec is wired in, and then `network.binary` changes nothing (binary vs clone is an A/A test).
 */
export function packingNote(workerEntrySource: string): string {
  return /packing:\s*(void 0|undefined)\b/.test(workerEntrySource)
    ? 'binary packing is NOT wired into the worker entry (packing: undefined): network.binary has no effect, so binary vs clone compares identical code (an A/A test: its spread is the noise)'
    : 'the worker entry passes a packing to the runtime: network.binary switches the binary batch codec on and off';
}

/**
 * Where the busiest threads' wall time went, medians over the rounds: on a CPU, runnable but
 * waiting for one (the machine's other load), or idle (blocked: nothing to do, waiting for a
 * peer, for credits, for the event loop).
 */
export function printThreads(summary: readonly Summary[]): void {
  const pct = (x: number) => (Number.isFinite(x) ? `${Math.round(100 * x)}` : '–');
  const cell = (shares: ThreadShare[]) => {
    if (shares.length === 0) return '';
    const run = median(shares.map((s) => s.run));
    const wait = median(shares.map((s) => s.wait));
    return `${pct(run)} / ${pct(wait)} / ${pct(Math.max(0, 1 - run - wait))}`;
  };
  const rows = summary.filter((s) => s.samples.some((x) => x.threads !== undefined)).map((s) => {
    const list = s.samples.flatMap((x) => (x.threads === undefined ? [] : [x.threads]));
    return [
      s.label,
      cell(list.flatMap((t) => (t.busiest[0] === undefined ? [] : [t.busiest[0]]))),
      cell(list.flatMap((t) => (t.busiest[1] === undefined ? [] : [t.busiest[1]]))),
      cell(list.map((t) => t.main)),
    ];
  });
  if (rows.length === 0) return;
  console.log('threads over the measured interval, % of wall time: on a CPU / runnable, waiting for a CPU / idle (from /proc/self/task/*/schedstat)');
  printTable(['variant', 'busiest other thread', 'second busiest', 'main thread'], rows);
}

/**
 * How to read wall-clock ratios on a loaded machine. Linux with autogroup shares the CPU per
 * session, not per thread: under load a 2-thread variant gets no more CPU than a 1-thread one,
 * so only the CPU-time column compares workers with in-process fairly.
 */
export function schedulerNote(load: number, cpus: number): string | undefined {
  let autogroup = false;
  try {
    autogroup = readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() === '1';
  } catch {
    // not Linux, or no autogroup
  }
  if (load <= cpus * 0.75) return undefined;
  return autogroup
    ? `load ${load} on ${cpus} CPUs with the kernel's autogroup on: CPU is shared per session, not per thread, so the 2-worker variants get about the CPU the 1-thread in-process one gets; compare those by rec/CPU-s (the 2-thread raw ceilings and Weir's workers compare fairly either way)`
    : `load ${load} on ${cpus} CPUs: other processes took CPU time; wall-clock figures swing, CPU-time figures less so`;
}

/** Runs the rounds, then prints the summary and the ratios: every round-based bench reports the same way. */
export async function measureRounds(
  variants: readonly Variant[], o: RoundsOptions, ratioDefs: readonly RatioDef[], cpuLabel: string, errors: string[],
): Promise<{ samples: Map<string, RoundSample[]>; rounds: number; summary: Summary[]; ratioList: Ratio[] }> {
  const { samples, rounds } = variants.length === 0 ? { samples: new Map<string, RoundSample[]>(), rounds: 0 } : await runRounds(variants, o, errors);
  const summary = summarize(variants, samples);
  console.log('');
  printSummary(summary, cpuLabel);
  const ratioList = ratios(ratioDefs, summary);
  console.log('');
  printRatios(ratioList, `${cpuLabel}: of medians`);
  return { samples, rounds, summary, ratioList };
}

export interface BenchRun {
  readonly name: string;
  readonly machine: Machine;
  /** performance.now() when the measuring began. */
  readonly startedAt: number;
  readonly loadAtStart: number;
  readonly uptimeAtStart: string;
  readonly errors: readonly string[];
}

/** The closing lines of a round-based bench (time, load, errors), then its results saved with the fields every bench records. */
export function finishBench(run: BenchRun, fields: Record<string, unknown>): string {
  const totalS = (performance.now() - run.startedAt) / 1000;
  const loadAtEnd = loadAverage();
  console.log('');
  console.log(`total ${totalS.toFixed(1)} s; load average ${run.loadAtStart} at start, ${loadAtEnd} at end (${run.machine.cpus} CPUs: above ~1, other processes shared the CPU)`);
  const note = schedulerNote(Math.max(run.loadAtStart, loadAtEnd), run.machine.cpus);
  if (note !== undefined) console.log(note);
  for (const e of run.errors) console.log(`ERROR ${e}`);
  const file = saveResults(run.name, {
    benchmark: run.name,
    date: new Date().toISOString(),
    machine: run.machine,
    loadAverage: { start: run.loadAtStart, end: loadAtEnd },
    uptime: { start: run.uptimeAtStart, end: uptime() },
    ...fields,
    errors: run.errors,
    totalSeconds: totalS,
  });
  console.log(`saved ${file}`);
  return file;
}
