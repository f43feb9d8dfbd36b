// In-process throughput: sequence → map to {word, count: 1} → keyBy(word) → running sum('count') → sink,
// for Weir (parallelism 1 and 2, checkpoints off / every 1 s / every 100 ms) against a hand-written loop
// and RxJS doing the same work, all in this process and interleaved over rounds, so every ratio
// compares numbers measured in the same run (PLATFORM-LIMITS.md). Prints numbers; asserts nothing.
//
// Env: WEIR_BENCH_RECORDS (default 75 000 000: at 25 M the keyed sum ended before its second 1 s checkpoint), WEIR_BENCH_ROUNDS (default 5), WEIR_BENCH_BUDGET_S
// (default 110: once 3 rounds are done, no round starts that would likely end past it), WEIR_BENCH_ONLY
// (comma-separated variant ids, e.g. `weir-p1-off` for a profile of one variant).
import { groupBy, map, mergeMap, range, scan } from 'rxjs';
import { job, readTable, run, sinks, sources } from 'weir';
import { collectGarbage, envInt, formatRate, formatRatio, loadAverage, machine, median, printTable, saveResults, startTimer, type Elapsed } from './harness.js';
import { distinctWords } from './words.js';

interface WordCount {
  word: string;
  count: number;
}

// 25 M records keep a Weir run at 3 s or more on an idle machine (8 M records/s), so checkpoints
// every 1 s fire at least twice; the bench says so when a run was too short for its interval.
const RECORDS = envInt('WEIR_BENCH_RECORDS', 75_000_000);
const ROUNDS = envInt('WEIR_BENCH_ROUNDS', 5);
const BUDGET_MS = envInt('WEIR_BENCH_BUDGET_S', 110) * 1000;
const MIN_ROUNDS = Math.min(3, ROUNDS);
const WARMUP_RECORDS = Math.min(RECORDS, 200_000);
const DISTINCT_WORDS = 1000;

/** The same distinct 8-letter words in every run and every thread. */
const WORDS: readonly string[] = distinctWords(DISTINCT_WORDS);

const toRecord = (n: number): WordCount => ({ word: WORDS[n % DISTINCT_WORDS]!, count: 1 });

/** What one measured run gives back: its time and, for Weir, its checkpoints. */
interface Sample extends Elapsed {
  /** Completed checkpoints, the final one (taken when the input ended) included. */
  readonly checkpoints?: number;
  readonly finalCheckpoints?: number;
  /** End-to-end durations (trigger to completion) of the completed checkpoints. */
  readonly checkpointMs?: number[];
  /** Bytes written by the largest completed checkpoint. */
  readonly stateBytes?: number;
  readonly failedCheckpoints?: number;
  /** Set when the output was wrong; the time is still reported. */
  readonly error?: string;
}

interface Variant {
  readonly id: string;
  readonly label: string;
  run(records: number, tag: string): Promise<Sample>;
}

/** The sums every variant must end with: word i occurs once for every n < records with n % 1000 = i. */
function checkSums(records: number, rows: Iterable<WordCount>): string | undefined {
  const got = new Map<string, number>();
  for (const r of rows) got.set(r.word, r.count);
  if (got.size !== Math.min(records, DISTINCT_WORDS)) return `${got.size} words in the sink, expected ${Math.min(records, DISTINCT_WORDS)}`;
  for (let i = 0; i < got.size; i++) {
    const expected = Math.floor(records / DISTINCT_WORDS) + (i < records % DISTINCT_WORDS ? 1 : 0);
    const actual = got.get(WORDS[i]!);
    if (actual !== expected) return `word '${WORDS[i]}' sums to ${actual}, expected ${expected}`;
  }
  return undefined;
}

function weirVariant(parallelism: number, intervalMs: number | undefined): Variant {
  const ckpt = intervalMs === undefined ? 'off' : intervalMs >= 1000 ? `${intervalMs / 1000}s` : `${intervalMs}ms`;
  return {
    id: `weir-p${parallelism}-${ckpt}`,
    label: `Weir p${parallelism}, checkpoints ${intervalMs === undefined ? 'off' : `every ${ckpt.replace(/(\d)([a-z])/, '$1 $2')}`}`,
    async run(records, tag) {
      const jobName = `bench-p${parallelism}-${ckpt}-${tag}`;
      const definition = job(jobName, (env) => {
        env.fromSource(sources.sequence({ from: 0, to: records }))
          .map(toRecord)
          .keyBy((r) => r.word)
          .sum('count')
          .sinkTo(sinks.table<WordCount>('counts', { key: 'word' }));
      });
      const stop = startTimer();
      const handle = await run(definition, {
        parallelism,
        checkpointing: intervalMs === undefined ? false : { intervalMs },
        resume: 'none',
      });
      await handle.done;
      const elapsed = stop();
      const stats = handle.checkpoints();
      let error: string | undefined;
      try {
        error = checkSums(records, await readTable<WordCount>(jobName, 'counts'));
      } catch (e) {
        error = `readTable failed: ${e instanceof Error ? e.message : String(e)}`;
      }
      return {
        ...elapsed,
        checkpoints: stats.filter((c) => c.status === 'completed').length,
        finalCheckpoints: stats.filter((c) => c.status === 'completed' && c.final).length,
        checkpointMs: stats.filter((c) => c.status === 'completed').map((c) => c.durationMs ?? NaN),
        stateBytes: Math.max(0, ...stats.filter((c) => c.status === 'completed').map((c) => c.stateSize)),
        failedCheckpoints: stats.filter((c) => c.status === 'failed').length,
        ...(error !== undefined ? { error } : {}),
      };
    },
  };
}

/** The same objects as Weir's pipeline (a record, then a new running-sum record), no fault tolerance. */
const handLoop: Variant = {
  id: 'loop',
  label: 'hand-written loop',
  async run(records) {
    const stop = startTimer();
    const sums = new Map<string, number>();
    const sink = new Map<string, WordCount>();
    for (let n = 0; n < records; n++) {
      const record = toRecord(n);
      const sum = (sums.get(record.word) ?? 0) + record.count;
      sums.set(record.word, sum);
      sink.set(record.word, { word: record.word, count: sum });
    }
    const elapsed = stop();
    const error = checkSums(records, sink.values());
    return { ...elapsed, ...(error !== undefined ? { error } : {}) };
  },
};

function rxRun(records: number, pipe: (sink: Map<string, WordCount>) => Promise<void>): Promise<Sample> {
  const sink = new Map<string, WordCount>();
  const stop = startTimer();
  return pipe(sink).then(() => {
    const elapsed = stop();
    const error = checkSums(records, sink.values());
    return { ...elapsed, ...(error !== undefined ? { error } : {}) };
  });
}

const rxGroupBy: Variant = {
  id: 'rx-groupby',
  label: 'RxJS range→map→groupBy→mergeMap(scan)',
  run: (records) => rxRun(records, (sink) => new Promise<void>((resolve, reject) => {
    range(0, records).pipe(
      map(toRecord),
      groupBy((r) => r.word),
      mergeMap((group) => group.pipe(scan((acc: WordCount, r: WordCount) => ({ word: r.word, count: acc.count + r.count })))),
    ).subscribe({ next: (r) => void sink.set(r.word, r), error: reject, complete: resolve });
  })),
};

const rxScan: Variant = {
  id: 'rx-scan',
  label: 'RxJS range→map→scan into a Map',
  run: (records) => rxRun(records, (sink) => new Promise<void>((resolve, reject) => {
    range(0, records).pipe(
      map(toRecord),
      scan((state: { sums: Map<string, number>; out: WordCount | undefined }, r: WordCount) => {
        const sum = (state.sums.get(r.word) ?? 0) + r.count;
        state.sums.set(r.word, sum);
        state.out = { word: r.word, count: sum };
        return state;
      }, { sums: new Map<string, number>(), out: undefined }),
      map((state) => state.out!),
    ).subscribe({ next: (r) => void sink.set(r.word, r), error: reject, complete: resolve });
  })),
};

const ALL: Variant[] = [
  weirVariant(1, undefined), weirVariant(1, 1000), weirVariant(1, 100),
  weirVariant(2, undefined), weirVariant(2, 1000), weirVariant(2, 100),
  handLoop, rxGroupBy, rxScan,
];
const only = (process.env.WEIR_BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const variants = only.length > 0 ? ALL.filter((v) => only.includes(v.id)) : ALL;
if (variants.length === 0) {
  console.error(`WEIR_BENCH_ONLY=${process.env.WEIR_BENCH_ONLY} matches no variant; ids: ${ALL.map((v) => v.id).join(', ')}`);
  process.exit(1);
}

const m = machine();
console.log(`in-process: ${RECORDS.toLocaleString('en-US')} records, ${DISTINCT_WORDS} words, ${ROUNDS} rounds (+1 warm-up of ${WARMUP_RECORDS.toLocaleString('en-US')})`);
const loadAtStart = loadAverage();
console.log(`machine: ${m.os}; ${m.cpu} × ${m.cpus}; ${m.memoryGB} GB; node ${m.node} (V8 ${m.v8})${typeof (globalThis as { gc?: unknown }).gc === 'function' ? '; gc between runs' : ''}; load average ${loadAtStart}`);

type RoundSample = Sample & { readonly round: number };
const samples = new Map<string, RoundSample[]>(variants.map((v) => [v.id, []]));
const errors: string[] = [];
const benchStarted = performance.now();

async function measure(v: Variant, records: number, tag: string): Promise<Sample | undefined> {
  collectGarbage();
  try {
    const s = await v.run(records, tag);
    if (s.error !== undefined) errors.push(`${v.id} (${tag}): wrong output: ${s.error}`);
    return s;
  } catch (e) {
    errors.push(`${v.id} (${tag}): failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return undefined;
  }
}

for (const v of variants) await measure(v, WARMUP_RECORDS, 'warmup');
let roundsRun = 0;
for (let round = 0; round < ROUNDS; round++) {
  const elapsed = performance.now() - benchStarted;
  if (round >= MIN_ROUNDS && elapsed + elapsed / round > BUDGET_MS) {
    console.log(`stopping after ${round} rounds: another would end past the ${BUDGET_MS / 1000} s budget (WEIR_BENCH_BUDGET_S)`);
    break;
  }
  roundsRun++;
  // Rotate the order each round, so no variant always runs right after the same neighbour.
  const order = variants.map((_, i) => variants[(i + round) % variants.length]!);
  const line: string[] = [];
  for (const v of order) {
    const s = await measure(v, RECORDS, `r${round}`);
    if (s !== undefined) {
      samples.get(v.id)!.push({ ...s, round });
      line.push(`${v.id} ${formatRate(RECORDS / (s.ms / 1000))}`);
    }
  }
  console.log(`round ${round + 1}/${ROUNDS}: ${line.join(', ')}`);
}

const rate = (s: Sample) => RECORDS / (s.ms / 1000);
/** Records per second of this process's CPU time: the figure to trust when the load average is high. */
const cpuRate = (s: Sample) => RECORDS / (s.cpuMs / 1000);
const summary = variants.map((v) => {
  const list = samples.get(v.id)!;
  const rates = list.map(rate);
  const ckpts = list.map((s) => s.checkpoints).filter((c): c is number => c !== undefined);
  const finals = list.map((s) => s.finalCheckpoints).filter((c): c is number => c !== undefined);
  const failed = list.map((s) => s.failedCheckpoints ?? 0);
  return {
    id: v.id,
    label: v.label,
    runs: list.length,
    medianRecordsPerSecond: rates.length > 0 ? median(rates) : NaN,
    minRecordsPerSecond: rates.length > 0 ? Math.min(...rates) : NaN,
    maxRecordsPerSecond: rates.length > 0 ? Math.max(...rates) : NaN,
    medianMs: list.length > 0 ? median(list.map((s) => s.ms)) : NaN,
    medianRecordsPerCpuSecond: list.length > 0 ? median(list.map(cpuRate)) : NaN,
    medianCheckpoints: ckpts.length > 0 ? median(ckpts) : undefined,
    medianFinalCheckpoints: finals.length > 0 ? median(finals) : undefined,
    medianCheckpointMs: list.some((s) => (s.checkpointMs?.length ?? 0) > 0) ? median(list.flatMap((s) => s.checkpointMs ?? [])) : undefined,
    maxStateBytes: Math.max(0, ...list.map((s) => s.stateBytes ?? 0)),
    failedCheckpoints: failed.reduce((a, b) => a + b, 0),
    wrongOutputs: list.filter((s) => s.error !== undefined).length,
    samples: list,
  };
});
const byId = new Map(summary.map((s) => [s.id, s]));

console.log('');
printTable(
  ['variant', 'median rec/s', 'min – max rec/s', 'median ms', 'rec/CPU-s', 'checkpoints/run (+final)', 'ckpt ms', 'state', 'ok'],
  summary.map((s) => [
    s.label,
    formatRate(s.medianRecordsPerSecond),
    `${formatRate(s.minRecordsPerSecond)} – ${formatRate(s.maxRecordsPerSecond)}`,
    Number.isFinite(s.medianMs) ? s.medianMs.toFixed(0) : '–',
    formatRate(s.medianRecordsPerCpuSecond),
    s.medianCheckpoints === undefined
      ? ''
      : `${s.medianCheckpoints - (s.medianFinalCheckpoints ?? 0)} + ${s.medianFinalCheckpoints ?? 0}${s.failedCheckpoints > 0 ? `, ${s.failedCheckpoints} failed` : ''}`,
    s.medianCheckpointMs === undefined ? '' : s.medianCheckpointMs.toFixed(1),
    s.maxStateBytes > 0 ? `${(s.maxStateBytes / 1024).toFixed(0)} KiB` : '',
    s.runs === 0 ? 'FAILED' : s.wrongOutputs > 0 ? `${s.wrongOutputs} WRONG` : 'yes',
  ]),
);

/**
 * A ratio of medians, and the range of the per-round ratios (the two variants of one round ran
 * back to back, so these pairs share the machine's state at that moment).
 */
function ratio(label: string, numerator: string, denominator: string) {
  const a = byId.get(numerator);
  const b = byId.get(denominator);
  if (a === undefined || b === undefined) return undefined;
  const pairs = a.samples.flatMap((s) => {
    const other = b.samples.find((o) => o.round === s.round);
    return other === undefined ? [] : [rate(s) / rate(other)];
  });
  const cpuPairs = a.samples.flatMap((s) => {
    const other = b.samples.find((o) => o.round === s.round);
    return other === undefined ? [] : [cpuRate(s) / cpuRate(other)];
  });
  return {
    label,
    numerator,
    denominator,
    ofMedians: a.medianRecordsPerSecond / b.medianRecordsPerSecond,
    perRoundMin: pairs.length > 0 ? Math.min(...pairs) : NaN,
    perRoundMax: pairs.length > 0 ? Math.max(...pairs) : NaN,
    ofCpuMedians: a.medianRecordsPerCpuSecond / b.medianRecordsPerCpuSecond,
    cpuPerRoundMin: cpuPairs.length > 0 ? Math.min(...cpuPairs) : NaN,
    cpuPerRoundMax: cpuPairs.length > 0 ? Math.max(...cpuPairs) : NaN,
  };
}
const ratios = [
  ratio('Weir p1 ckpt 1 s / hand-written loop (aim ≥ 0.5)', 'weir-p1-1s', 'loop'),
  ratio('Weir p1 (ckpt off) / hand-written loop', 'weir-p1-off', 'loop'),
  ratio('Weir p1 ckpt 1 s / ckpt off', 'weir-p1-1s', 'weir-p1-off'),
  ratio('Weir p1 ckpt 100 ms / ckpt off', 'weir-p1-100ms', 'weir-p1-off'),
  ratio('Weir p2 (ckpt off) / Weir p1 (ckpt off)', 'weir-p2-off', 'weir-p1-off'),
  ratio('Weir p2 ckpt 1 s / ckpt off', 'weir-p2-1s', 'weir-p2-off'),
  ratio('Weir p2 ckpt 100 ms / ckpt off', 'weir-p2-100ms', 'weir-p2-off'),
  ratio('Weir p1 (ckpt off) / RxJS groupBy', 'weir-p1-off', 'rx-groupby'),
  ratio('Weir p1 (ckpt off) / RxJS scan', 'weir-p1-off', 'rx-scan'),
  ratio('Weir p1 ckpt 1 s / RxJS groupBy', 'weir-p1-1s', 'rx-groupby'),
].filter((r) => r !== undefined);

if (ratios.length > 0) {
  console.log('');
  printTable(
    ['ratio (same run)', 'of medians', 'per-round min – max', 'CPU time: of medians', 'per-round min – max'],
    ratios.map((r) => [
      r.label,
      formatRatio(r.ofMedians), `${formatRatio(r.perRoundMin)} – ${formatRatio(r.perRoundMax)}`,
      formatRatio(r.ofCpuMedians), `${formatRatio(r.cpuPerRoundMin)} – ${formatRatio(r.cpuPerRoundMax)}`,
    ]),
  );
}

const totalS = (performance.now() - benchStarted) / 1000;
console.log('');
const loadAtEnd = loadAverage();
collectGarbage();
// Every job's committed table and checkpoints stay in the shared memory store, so the heap grows over the run.
const heapMB = Math.round(process.memoryUsage().heapUsed / 1e6);
console.log(`total ${totalS.toFixed(1)} s; heap at end ${heapMB} MB; load average ${loadAtStart} at start, ${loadAtEnd} at end (${m.cpus} CPUs: above ~1, other processes shared the CPU)`);
for (const e of errors) console.log(`ERROR ${e}`);
for (const s of summary) {
  const periodic = (s.medianCheckpoints ?? 0) - (s.medianFinalCheckpoints ?? 0);
  if (s.id.includes('-1s') && periodic < 2) {
    console.log(`NOTE ${s.label}: ${periodic} periodic checkpoints per run, so its figure hardly includes their cost; raise WEIR_BENCH_RECORDS`);
  }
}

const file = saveResults('in-process', {
  benchmark: 'in-process',
  date: new Date().toISOString(),
  machine: m,
  loadAverage: { start: loadAtStart, end: loadAtEnd },
  heapUsedMBAtEnd: heapMB,
  records: RECORDS,
  distinctWords: DISTINCT_WORDS,
  rounds: roundsRun,
  warmupRecords: WARMUP_RECORDS,
  variants: summary,
  ratios,
  errors,
  totalSeconds: totalS,
});
console.log(`saved ${file}`);
