// Windowed aggregation: sequence → events { key (10 000 keys), value, time (event time, bounded
// disorder) } → keyBy(key) → 1 s tumbling or 1 s / 250 ms sliding event-time window → sum('value')
// → a sink that tallies the results. Weir in this thread (parallelism 1), in one worker (parallelism 1:
// a fresh worker's own cost, apart from the exchange's) and in 2 workers, with
// checkpoints every 1 s (and in-process tumbling without, for their cost), beside a hand-written
// loop that computes the same windows with a Map per window, fired by the same watermark. All in
// this process, interleaved over rounds, so every ratio compares numbers of the same run
// (PLATFORM-LIMITS.md). Every run's results are checked against the loop's (count of window
// results and three sums over them); a mismatch is printed, never asserted.
//
// Env: WEIR_BENCH_RECORDS (default 12 000 000 events per sliding Weir run, enough for 3–5 periodic
// checkpoints since sliding windows share panes; tumbling runs take 2× as many, the loop runs 5× as
// many as Weir's of their kind),
// WEIR_BENCH_ROUNDS (default 3), WEIR_BENCH_BUDGET_S (default 200: once 3 rounds are done, no round
// starts that would likely end past it), WEIR_BENCH_ONLY (comma-separated variant ids, e.g.
// `ip-sliding-1s` for a profile of one variant; also the diagnostics ip-tumbling-aggregate-off,
// ip-sliding-aggregate-off and ip-sliding-off: aggregate(…) over a mutable accumulator against sum).
import { run, type CheckpointStats, type JobHandle, type RunOptions } from 'weir';
import { envInt, loadAverage, machine, median, printTable } from './harness.js';
import { finishBench, measureRounds, uptime, type RatioDef, type Variant } from './workers-report.js';
import type { Sample } from './workers-shared.js';
import {
  buildWindowJob, compareTallies, DISORDER_MS, EVENTS_PER_MS, expectedTotal, KEYS, readTally, WATERMARK_EVERY, WINDOW_SHAPES, windowJobUrl, windowLoop,
  type Tally, type WindowFunctionKind, type WindowKind,
} from './windows-shared.js';

// Runs of 3 s or more on an idle machine (sliding 12 M events, tumbling 24 M: about 2× faster; with
// panes shared by its windows, sliding at 4 M ended after one periodic checkpoint), so checkpoints
// every 1 s fire at least twice; the table counts them, and the bench says so when a run was too
// short for its interval. Rates are per event, so the kinds still compare.
const RECORDS = envInt('WEIR_BENCH_RECORDS', 12_000_000);
const TUMBLING_FACTOR = 2;
const eventsOf = (kind: WindowKind, records: number): number => (kind === 'tumbling' ? records * TUMBLING_FACTOR : records);
const ROUNDS = envInt('WEIR_BENCH_ROUNDS', 3);
const BUDGET_MS = envInt('WEIR_BENCH_BUDGET_S', 200) * 1000;
const WARMUP_RECORDS = Math.min(RECORDS, 100_000);
// The loop is ~20–50× faster: more events keep its runs above a scheduler hiccup (its open windows,
// and so its work per event, do not grow with the run's length).
const LOOP_FACTOR = 5;
const WORKERS = 2;

const JOB = new URL('./jobs/windows.job.js', import.meta.url);

interface WindowSample extends Sample {
  /** Window results the run emitted (as its tally counted them). */
  readonly results?: number;
  /** Bytes of the largest completed checkpoint (its full state, reused key groups included). */
  readonly stateBytes?: number;
  /** Per completed periodic checkpoint: the slowest subtask's synchronous snapshot and its asynchronous write, in ms. */
  readonly syncMs?: number[];
  readonly asyncMs?: number[];
  /** Per completed periodic checkpoint: the share of its state it wrote (the rest reused, incremental). */
  readonly persistedShare?: number[];
}

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** The loop's tally for each size and kind, computed once, unmeasured: what every run must match. */
const references = new Map<string, Tally>();
const referenceErrors: string[] = [];
function reference(records: number, kind: WindowKind): Tally {
  const id = `${kind}-${records}`;
  let tally = references.get(id);
  if (tally === undefined) {
    const { tally: t, late } = windowLoop(records, kind);
    const total = expectedTotal(records, kind);
    if (t.total !== total) referenceErrors.push(`the loop's ${kind} windows sum to ${t.total}, expected ${total}: the loop itself is wrong`);
    if (late > 0) referenceErrors.push(`${late} events were late in the loop's ${kind} windows (expected none)`);
    references.set(id, (tally = t));
  }
  return tally;
}

const ckptLabel = (intervalMs: number | undefined) => (intervalMs === undefined ? 'ckpt off' : `ckpt ${intervalMs / 1000} s`);
const ckptId = (intervalMs: number | undefined) => (intervalMs === undefined ? 'off' : `${intervalMs / 1000}s`);

let runs = 0;
function weirVariant(target: 'in-process' | 'workers' | 'one-worker', kind: WindowKind, intervalMs: number | undefined, fn: WindowFunctionKind = 'sum'): Variant {
  const id = `${target === 'workers' ? 'w' : target === 'one-worker' ? 'w1' : 'ip'}-${kind}${fn === 'sum' ? '' : `-${fn}`}-${ckptId(intervalMs)}`;
  const parallelism = target === 'workers' ? WORKERS : 1;
  const inWorkers = target !== 'in-process';
  return {
    id,
    label: `Weir ${target === 'workers' ? `${WORKERS} workers` : target === 'one-worker' ? 'one worker p1' : 'in-process p1'}, ${kind}${fn === 'sum' ? '' : `, ${fn}`}, ${ckptLabel(intervalMs)}`,
    run: async (tag, warmup): Promise<WindowSample> => {
      const records = warmup ? WARMUP_RECORDS : eventsOf(kind, RECORDS);
      const params = { name: `bench-windows-${id}-${tag}-${++runs}`, records, kind, fn };
      const options: RunOptions = { parallelism, checkpointing: intervalMs === undefined ? false : { intervalMs }, resume: 'none' };
      const called = performance.now();
      const handle: JobHandle = await run(inWorkers ? windowJobUrl(JOB, params) : buildWindowJob(params), options);
      const started = performance.now();
      const cpu0 = cpuMs();
      await handle.done;
      const ms = performance.now() - started;
      const cpu = cpuMs() - cpu0;
      const stats: CheckpointStats[] = handle.checkpoints();
      const completed = stats.filter((c) => c.status === 'completed');
      const periodic = completed.filter((c) => !c.final);
      let results: number | undefined;
      let error: string | undefined;
      try {
        const tally = await readTally(params.name);
        results = tally.results;
        error = compareTallies(tally, reference(records, kind));
      } catch (e) {
        error = `readTable failed: ${e instanceof Error ? e.message : String(e)}`;
      }
      return {
        records,
        ms,
        cpuMs: cpu,
        startupMs: started - called,
        checkpoints: completed.length,
        finalCheckpoints: completed.filter((c) => c.final).length,
        checkpointMs: completed.map((c) => c.durationMs ?? NaN),
        failedCheckpoints: stats.filter((c) => c.status === 'failed').length,
        stateBytes: Math.max(0, ...completed.map((c) => c.stateSize)),
        syncMs: periodic.map((c) => Math.max(0, ...c.subtasks.map((t) => t.syncDurationMs))),
        asyncMs: periodic.map((c) => Math.max(0, ...c.subtasks.map((t) => t.asyncDurationMs))),
        persistedShare: periodic.map((c) => (c.stateSize > 0 ? c.persistedSize / c.stateSize : NaN)),
        ...(results !== undefined ? { results } : {}),
        ...(error !== undefined ? { error } : {}),
      };
    },
  };
}

function loopVariant(kind: WindowKind): Variant {
  return {
    id: `loop-${kind}`,
    label: `hand-written loop, ${kind}`,
    run: async (_tag, warmup): Promise<WindowSample> => {
      const records = (warmup ? WARMUP_RECORDS : eventsOf(kind, RECORDS)) * LOOP_FACTOR;
      const expected = reference(records, kind);
      const t0 = performance.now();
      const cpu0 = cpuMs();
      const { tally } = windowLoop(records, kind);
      const ms = performance.now() - t0;
      const cpu = cpuMs() - cpu0;
      const error = compareTallies(tally, expected);
      return { records, ms, cpuMs: cpu, results: tally.results, ...(error !== undefined ? { error } : {}) };
    },
  };
}

const ALL: Variant[] = [
  weirVariant('in-process', 'tumbling', 1000),
  weirVariant('in-process', 'sliding', 1000),
  weirVariant('in-process', 'tumbling', undefined),
  weirVariant('workers', 'tumbling', 1000),
  weirVariant('workers', 'sliding', 1000),
  weirVariant('one-worker', 'tumbling', 1000),
  weirVariant('one-worker', 'sliding', 1000),
  loopVariant('tumbling'),
  loopVariant('sliding'),
];
// Diagnostics, only when named in WEIR_BENCH_ONLY: the same windows with aggregate(…) over a mutable
// accumulator instead of sum('value'), which copies the record per event.
const DIAGNOSTIC: Variant[] = [
  weirVariant('in-process', 'tumbling', undefined, 'aggregate'),
  weirVariant('in-process', 'tumbling', undefined),
  weirVariant('in-process', 'sliding', undefined, 'aggregate'),
  weirVariant('in-process', 'sliding', undefined),
];
const only = (process.env.WEIR_BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const variants = only.length > 0 ? [...ALL, ...DIAGNOSTIC].filter((v, i, all) => only.includes(v.id) && all.findIndex((x) => x.id === v.id) === i) : ALL;
if (variants.length === 0) {
  console.error(`WEIR_BENCH_ONLY=${process.env.WEIR_BENCH_ONLY} matches no variant; ids: ${[...new Set([...ALL, ...DIAGNOSTIC].map((v) => v.id))].join(', ')}`);
  process.exit(1);
}

const RATIO_DEFS: readonly RatioDef[] = [
  { label: 'Weir in-process, tumbling / loop tumbling', numerator: 'ip-tumbling-1s', denominator: 'loop-tumbling', aims: [0.5] },
  { label: 'Weir in-process, sliding / loop sliding', numerator: 'ip-sliding-1s', denominator: 'loop-sliding', aims: [0.4] },
  { label: 'Weir 2 workers, tumbling / loop tumbling', numerator: 'w-tumbling-1s', denominator: 'loop-tumbling' },
  { label: 'Weir 2 workers, sliding / loop sliding', numerator: 'w-sliding-1s', denominator: 'loop-sliding' },
  { label: 'sliding / tumbling: Weir in-process', numerator: 'ip-sliding-1s', denominator: 'ip-tumbling-1s' },
  { label: 'sliding / tumbling: Weir 2 workers', numerator: 'w-sliding-1s', denominator: 'w-tumbling-1s' },
  { label: 'sliding / tumbling: loop', numerator: 'loop-sliding', denominator: 'loop-tumbling' },
  { label: 'parallelism: Weir 2 workers / in-process p1, tumbling', numerator: 'w-tumbling-1s', denominator: 'ip-tumbling-1s', aims: [1.5], threads: 2 },
  { label: 'parallelism: Weir 2 workers / in-process p1, sliding', numerator: 'w-sliding-1s', denominator: 'ip-sliding-1s', aims: [1.5], threads: 2 },
  { label: 'parallelism, fresh workers both: Weir 2 workers / one worker p1, tumbling', numerator: 'w-tumbling-1s', denominator: 'w1-tumbling-1s', aims: [1.5], threads: 2 },
  { label: 'parallelism, fresh workers both: Weir 2 workers / one worker p1, sliding', numerator: 'w-sliding-1s', denominator: 'w1-sliding-1s', aims: [1.5], threads: 2 },
  { label: 'a worker\'s own cost: one worker p1 / in-process p1, tumbling', numerator: 'w1-tumbling-1s', denominator: 'ip-tumbling-1s' },
  { label: 'a worker\'s own cost: one worker p1 / in-process p1, sliding', numerator: 'w1-sliding-1s', denominator: 'ip-sliding-1s' },
  { label: 'checkpoint cost: in-process tumbling, 1 s / off', numerator: 'ip-tumbling-1s', denominator: 'ip-tumbling-off' },
  { label: 'diagnostic: aggregate / sum, in-process tumbling, ckpt off', numerator: 'ip-tumbling-aggregate-off', denominator: 'ip-tumbling-off' },
  { label: 'diagnostic: aggregate / sum, in-process sliding, ckpt off', numerator: 'ip-sliding-aggregate-off', denominator: 'ip-sliding-off' },
];

const m = machine();
const periodicCheckpoints = (s: WindowSample): number => (s.checkpoints ?? 0) - (s.finalCheckpoints ?? 0);
const loadAtStart = loadAverage();
const uptimeAtStart = uptime();
const shape = (k: WindowKind) => (k === 'tumbling' ? `${WINDOW_SHAPES[k].sizeMs} ms` : `${WINDOW_SHAPES[k].sizeMs} ms every ${WINDOW_SHAPES[k].slideMs} ms`);
console.log(`windows: ${RECORDS.toLocaleString('en-US')} events per sliding Weir run, ${eventsOf('tumbling', RECORDS).toLocaleString('en-US')} per tumbling one (loop: ×${LOOP_FACTOR}), ${KEYS.toLocaleString('en-US')} keys, ${EVENTS_PER_MS} events per ms of event time (${(RECORDS / EVENTS_PER_MS / 1000).toFixed(0)} s), disorder < ${DISORDER_MS} ms, watermark every ${WATERMARK_EVERY} events; tumbling ${shape('tumbling')}, sliding ${shape('sliding')}; sum per key and window; ${ROUNDS} rounds (+1 warm-up of ${WARMUP_RECORDS.toLocaleString('en-US')})`);
console.log(`machine: ${m.os}; ${m.cpu} × ${m.cpus}; ${m.memoryGB} GB; node ${m.node} (V8 ${m.v8}); ${uptimeAtStart}`);
console.log('events/s counts from the job deployed (run() resolved) to done (the last window fired and committed); startup is shown apart');

const benchStarted = performance.now();
const errors: string[] = [];
// The references first (unmeasured), so no measured run pays for them.
for (const kind of ['tumbling', 'sliding'] as const) {
  for (const records of [WARMUP_RECORDS, eventsOf(kind, RECORDS)]) {
    reference(records, kind);
    if (variants.some((v) => v.id === `loop-${kind}`)) reference(records * LOOP_FACTOR, kind);
  }
}
const { samples, rounds, summary, ratioList } = await measureRounds(
  variants, { rounds: ROUNDS, minRounds: Math.min(3, ROUNDS), budgetMs: BUDGET_MS, warmup: true }, RATIO_DEFS, 'events/CPU-s (all threads)', errors,
);

console.log('');
const resultsOf = (id: string) => [...new Set((samples.get(id) ?? []).map((s) => (s as WindowSample).results))];
const medianOf = (id: string, pick: (s: WindowSample) => number[] | undefined, format: (x: number) => string): string => {
  const values = (samples.get(id) ?? []).flatMap((s) => pick(s as WindowSample) ?? []).filter(Number.isFinite);
  return values.length > 0 ? format(median(values)) : '';
};
printTable(
  ['variant', 'window results per run', 'as the loop', 'periodic ckpts/run', 'largest checkpoint', 'periodic ckpt: sync ms', 'async ms', 'written'],
  summary.map((s) => {
    const counts = resultsOf(s.id);
    const kind: WindowKind = s.id.includes('sliding') ? 'sliding' : 'tumbling';
    const stateBytes = Math.max(0, ...s.samples.map((x) => (x as WindowSample).stateBytes ?? 0));
    return [
      s.label,
      counts.map((c) => (c === undefined ? '?' : c.toLocaleString('en-US'))).join(' / '),
      s.runs === 0 ? '–' : s.wrongOutputs > 0 ? `${s.wrongOutputs} of ${s.runs} runs WRONG` : `yes (${reference(eventsOf(kind, RECORDS) * (s.id.startsWith('loop-') ? LOOP_FACTOR : 1), kind).results.toLocaleString('en-US')})`,
      s.id.startsWith('loop-') ? '' : medianOf(s.id, (x) => [periodicCheckpoints(x)], (x) => String(x)),
      stateBytes > 0 ? `${(stateBytes / 1024).toFixed(0)} KiB` : '',
      medianOf(s.id, (x) => x.syncMs, (x) => x.toFixed(1)),
      medianOf(s.id, (x) => x.asyncMs, (x) => x.toFixed(1)),
      medianOf(s.id, (x) => x.persistedShare, (x) => `${Math.round(100 * x)} %`),
    ];
  }),
);
for (const s of summary) {
  const periodic = (samples.get(s.id) ?? []).map((x) => periodicCheckpoints(x as WindowSample));
  if (s.id.endsWith('-1s') && periodic.length > 0 && median(periodic) < 2) {
    console.log(`NOTE ${s.label}: ${median(periodic)} periodic checkpoints per run, so its figure hardly includes their cost; raise WEIR_BENCH_RECORDS`);
  }
}
const wrong = summary.filter((s) => s.wrongOutputs > 0);
if (wrong.length > 0 || referenceErrors.length > 0) {
  console.log(`WRONG OUTPUT: ${[...wrong.map((s) => `${s.label} (${s.wrongOutputs} of ${s.runs} runs)`), ...referenceErrors].join('; ')}: the figures above do not measure the intended work (details below)`);
}

finishBench({ name: 'windows', machine: m, startedAt: benchStarted, loadAtStart, uptimeAtStart, errors: [...referenceErrors, ...errors] }, {
  records: RECORDS,
  keys: KEYS,
  eventsPerMs: EVENTS_PER_MS,
  disorderMs: DISORDER_MS,
  windows: WINDOW_SHAPES,
  rounds,
  references: Object.fromEntries(references),
  variants: summary,
  ratios: ratioList,
});
// Worker threads of a failed run might keep the loop alive; the results are out.
process.exit(0);
