// `npm run bench -- edge`: Weir on the edge platforms, in Miniflare's workerd and the Deno binary.
//   1. events/s through a job object (POSTed to its input log, counted per page, committed): the same
//      job at parallelism 1 (one Durable Object) and 3 (a coordinator and three shard objects), same run;
//      and, without Weir, the same CPU work in three objects at once against one: the ceiling of that
//      ratio in one Miniflare;
//   2. the final checkpoint of a job object holding ~10 MB of keyed state, against a raw transactionSync
//      write of the same bytes as 1 MiB rows;
//   3. the same state checkpointed into Deno KV, against raw atomic writes of the same bytes (as the first
//      write of a fresh process on a fresh file, as the checkpoint is: the first write costs more),
//      and again warm: the job and the raw write each once before in the same process, then both
//      measured there, as the Durable Object checkpoint is (a process that has checkpointed a while);
//   and for both, the same job's final checkpoint into memory storage (in a Durable Object; in a
//   fresh Deno process): the share of encoding the state, which no storage can save.
// Rounds are interleaved; medians and same-run ratios are printed (aims from issue 12: parallelism 3
// ≥ 2× parallelism 1; checkpoint ≤ 1.5× the raw write). Local figures say nothing of production:
// Miniflare runs every object in one workerd process. Prints, never asserts.
// Env: WEIR_BENCH_ROUNDS (default 3), WEIR_BENCH_EVENTS (default 100 000), WEIR_BENCH_KEYS (default 10 000),
// WEIR_BENCH_PARTS (default 'throughput,do,kv': which of 1., 2., 3. to run).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';
import { createRequire } from 'node:module';
import { envInt, formatRate, formatRatio, loadAverage, machine, median, printTable, saveResults } from './harness.js';

const ROUNDS = envInt('WEIR_BENCH_ROUNDS', 3);
const EVENTS = envInt('WEIR_BENCH_EVENTS', 100_000);
const KEYS = envInt('WEIR_BENCH_KEYS', 10_000);
const PER_REQUEST = 5000;
const PARTS = new Set((process.env.WEIR_BENCH_PARTS ?? 'throughput,do,kv').split(','));

// The package snapshot scripts/bench.mjs made beside this compiled file: never the dist/ a concurrent `npm test` rebuilds.
const OUT = dirname(fileURLToPath(import.meta.url));
const weir = join(OUT, 'node_modules/weir/dist');

const worker = await build({
  entryPoints: ['bench/edge/worker.ts'], bundle: true, write: false, format: 'esm', target: 'es2022', logLevel: 'error',
  platform: 'neutral', mainFields: ['module', 'main'], conditions: ['workerd'], external: ['cloudflare:*'], tsconfigRaw: {},
  alias: { 'weir/cloudflare': join(weir, 'cloudflare.js'), weir: join(weir, 'workerd.js') },
  define: { WEIR_BENCH_KEYS: String(KEYS) },
});
await build({
  entryPoints: ['bench/edge/kv-state.main.ts'], outdir: join(OUT, 'edge'), bundle: true, packages: 'external', external: ['weir', 'weir/*'],
  format: 'esm', platform: 'neutral', target: 'es2022', logLevel: 'error',
});
const options = {
  modules: [{ type: 'ESModule' as const, path: 'worker.js', contents: worker.outputFiles[0]!.text }],
  compatibilityDate: '2026-04-01',
  durableObjects: {
    COUNTS1: { className: 'Counts1', useSQLite: true }, COUNTS3: { className: 'Counts3', useSQLite: true },
    STATE: { className: 'State', useSQLite: true }, RAW: { className: 'RawWrite', useSQLite: true }, MEMORY: { className: 'StateMemory', useSQLite: true },
    SPIN: { className: 'Spin', useSQLite: true },
  },
};
// A fresh Miniflare (one workerd process) per part of a round: the job objects of earlier parts live
// on (a counting job checkpoints every 100 ms even when idle) and would share the one thread with it.
let mf: Miniflare | undefined;
async function fresh<T>(measure: () => Promise<T>): Promise<T> {
  mf = new Miniflare(options);
  try {
    return await measure();
  } finally {
    await mf.dispose();
    mf = undefined;
  }
}
const fetchJson = async <T>(path: string, init?: RequestInit): Promise<T> => {
  const response = await mf!.dispatchFetch(`http://localhost${path}`, init as never);
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Events/s from the first POST until the committed table counts every event; and the POSTs' own share. */
async function throughput(prefix: 'p1' | 'p3', object: string): Promise<{ eventsPerSecond: number; appendMs: number; totalMs: number }> {
  const body = Array.from({ length: PER_REQUEST }, (_, i) => `{"page":${i % 64}}`).join('\n');
  await fetchJson(`/${prefix}/${object}/status`); // starts the job (and its shards) outside the measurement
  const started = performance.now();
  for (let sent = 0; sent < EVENTS; sent += PER_REQUEST) {
    await fetchJson(`/${prefix}/${object}/logs/events`, { method: 'POST', body, headers: { 'content-type': 'application/x-ndjson' } });
  }
  const appendMs = performance.now() - started;
  for (;;) {
    const views = await fetchJson<{ views: number }[]>(`/${prefix}/${object}/tables/views`);
    if (views.reduce((n, v) => n + v.views, 0) >= EVENTS) break;
    await sleep(20);
  }
  const totalMs = performance.now() - started;
  return { eventsPerSecond: EVENTS / (totalMs / 1000), appendMs, totalMs };
}

/**
 * The ceiling of parallelism 3 over 1 in this Miniflare, without Weir: the same CPU work (3 × n
 * loop iterations) in one object, then split over three objects called at once. 1× means the
 * objects share one thread.
 */
async function spinSpeedup(): Promise<number> {
  const n = 30_000_000;
  const spin = (object: string, iterations: number) => fetchJson(`/spin?object=${object}&n=${iterations}`, { method: 'POST' });
  await Promise.all(['a', 'b', 'c', 'one'].map((o) => spin(o, 1000))); // the objects exist and the code is warm
  let started = performance.now();
  await spin('one', 3 * n);
  const oneMs = performance.now() - started;
  started = performance.now();
  await Promise.all(['a', 'b', 'c'].map((o) => spin(o, n)));
  return oneMs / (performance.now() - started);
}

/** The state job object's final checkpoint (everything written: no periodic checkpoint before it) and a raw write of its bytes. */
interface CheckpointSample {
  readonly checkpointMs: number;
  /** Deno KV only: the chunk commits, those settled before the last was handed to KV, and the ms from then to the last settled. */
  readonly chunkCommits?: number;
  readonly settledDuringEncoding?: number;
  readonly tailMs?: number;
  /** The slowest subtask's synchronous snapshot (encoding the state) and its chunk writes. */
  readonly encodeMs: number;
  readonly writeMs: number;
  readonly rawMs: number;
  readonly stateBytes: number;
}

async function durableObjectCheckpoint(object: string, round: number): Promise<CheckpointSample> {
  for (;;) {
    const status = await fetchJson<{ status: string }>(`/state/${object}/status`);
    if (status.status === 'finished') break;
    if (status.status === 'failed') throw new Error(JSON.stringify(status));
    await sleep(50);
  }
  const checkpoints = await fetchJson<{ status: string; durationMs: number; stateSize: number; subtasks: { syncDurationMs: number; asyncDurationMs: number }[] }[]>(`/state/${object}/checkpoints`);
  const final = checkpoints.filter((c) => c.status === 'completed').at(-1)!;
  const raw = await fetchJson<{ ms: number }>(`/raw?bytes=${final.stateSize}&round=${round}`, { method: 'POST' });
  return {
    checkpointMs: final.durationMs, encodeMs: Math.max(...final.subtasks.map((s) => s.syncDurationMs)), writeMs: Math.max(...final.subtasks.map((s) => s.asyncDurationMs)),
    rawMs: raw.ms, stateBytes: final.stateSize,
  };
}

/** The same job's final checkpoint with memory storage, in a Durable Object of its own. */
async function durableObjectMemoryCheckpoint(round: number): Promise<number> {
  return (await fetchJson<{ checkpointMs: number }>(`/memory?round=${round}`, { method: 'POST' })).checkpointMs;
}

/** The Deno binary of the devDependency `deno` (what scripts/run-deno-tests.mjs runs). */
const denoBinary = (): string => (createRequire(join(process.cwd(), 'package.json'))('deno/install_api.cjs') as { runInstall(): string }).runInstall();

/** A run of kv-state.main.js in a fresh Deno process on a fresh KV file: the checkpoint (and a raw write after it), the memory run, or only a raw write. */
function denoKv<T>(mode: [] | ['memory'] | [`raw=${number}`] | ['warm'] | ['memory', 'warm']): T {
  const deno = { binary: denoBinary() };
  const dir = mkdtempSync(join(tmpdir(), 'weir-bench-kv-'));
  try {
    const result = spawnSync(deno.binary, ['run', '--unstable-kv', '--no-check', '--allow-read', `--allow-write=${dir}`, join(OUT, 'edge/kv-state.main.js'), join(dir, 'kv.sqlite'), String(KEYS), ...mode], {
      encoding: 'utf8', env: { ...process.env, DENO_DIR: join(process.cwd(), '.deno-dir'), NO_COLOR: '1' },
    });
    if (result.status !== 0) throw new Error(`the Deno KV run failed: ${result.stderr}`);
    return JSON.parse(result.stdout.trim().split('\n').at(-1)!);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Weir's checkpoint into Deno KV; its raw baseline is a raw write as the first write of a fresh process (as the checkpoint is), the one after it in the same process kept as `rawAfterMs`. */
function denoKvCheckpoint(): CheckpointSample & { rawAfterMs: number } {
  const sample = denoKv<CheckpointSample>([]);
  const raw = denoKv<{ rawMs: number }>([`raw=${sample.stateBytes}`]);
  return { ...sample, rawMs: raw.rawMs, rawAfterMs: sample.rawMs };
}

/** The same, warm: the job and the raw write each once first in the same process, then both measured there (as the Durable Object half is). */
const denoKvWarmCheckpoint = (): CheckpointSample => denoKv<CheckpointSample>(['warm']);

/** Of a Deno KV sample: chunk commits settled before the last was handed to KV, of all. */
function overlap(x: CheckpointSample): string {
  return `${x.settledDuringEncoding}/${x.chunkCommits}`;
}

const samples = { denoKvWarm: [] as CheckpointSample[], denoMemoryWarm: [] as number[], p1: [] as number[], p3: [] as number[], spread: [] as number[], p1Append: [] as number[], p3Append: [] as number[], durableObject: [] as CheckpointSample[], denoKv: [] as (CheckpointSample & { rawAfterMs: number })[], durableObjectMemory: [] as number[], denoMemory: [] as number[] };
const loads: number[] = [];
try {
  console.log(`edge: ${EVENTS.toLocaleString('en')} events per throughput run, ${KEYS.toLocaleString('en')} keys of ~1 KB state, ${ROUNDS} rounds`);
  for (let round = 1; round <= ROUNDS; round++) {
    loads.push(loadAverage());
    const none = { eventsPerSecond: NaN, appendMs: NaN, totalMs: NaN };
    const p1 = PARTS.has('throughput') ? await fresh(() => throughput('p1', `r${round}`)) : none;
    const p3 = PARTS.has('throughput') ? await fresh(() => throughput('p3', `r${round}`)) : none;
    const spread = PARTS.has('throughput') ? await fresh(spinSpeedup) : NaN;
    const noCheckpoint = { checkpointMs: NaN, encodeMs: NaN, writeMs: NaN, rawMs: NaN, stateBytes: NaN, rawAfterMs: NaN };
    // The state job once first, unmeasured, in the same workerd: its code warm, as in an object that has run a while.
    const [d, dm] = PARTS.has('do')
      ? await fresh(async () => [await durableObjectCheckpoint(`warm${round}`, -round), await durableObjectCheckpoint(`r${round}`, round), await durableObjectMemoryCheckpoint(round)] as const).then(([, x, y]) => [x, y] as const)
      : [noCheckpoint, NaN] as const;
    const k = PARTS.has('kv') ? denoKvCheckpoint() : noCheckpoint;
    const km = PARTS.has('kv') ? denoKv<CheckpointSample>(['memory']).checkpointMs : NaN;
    const kw = PARTS.has('kv') ? denoKvWarmCheckpoint() : noCheckpoint;
    const kwm = PARTS.has('kv') ? denoKv<CheckpointSample>(['memory', 'warm']).checkpointMs : NaN;
    samples.denoKvWarm.push(kw);
    samples.denoMemoryWarm.push(kwm);
    samples.durableObjectMemory.push(dm);
    samples.denoMemory.push(km);
    samples.p1.push(p1.eventsPerSecond);
    samples.p3.push(p3.eventsPerSecond);
    samples.spread.push(spread);
    samples.p1Append.push(EVENTS / (p1.appendMs / 1000));
    samples.p3Append.push(EVENTS / (p3.appendMs / 1000));
    samples.durableObject.push(d);
    samples.denoKv.push(k);
    console.log(`round ${round}: p1 ${formatRate(p1.eventsPerSecond)} events/s, p3 ${formatRate(p3.eventsPerSecond)} (3 objects vs 1 without Weir ${formatRatio(spread)}); DO checkpoint ${d.checkpointMs} ms (memory storage ${dm}) vs raw ${d.rawMs} ms; KV checkpoint ${k.checkpointMs} ms (memory storage ${km}) vs raw ${k.rawMs.toFixed(0)} ms (${k.rawAfterMs.toFixed(0)} ms after the checkpoint, in its process); warm: KV checkpoint ${kw.checkpointMs} ms (memory storage ${kwm}) vs raw ${kw.rawMs.toFixed(0)} ms; KV chunk commits settled during the encoding ${overlap(k)} cold, ${overlap(kw)} warm`);
  }
} finally {
  await mf?.dispose();
}

const m = (xs: number[]) => median(xs);
// workerd's clock stands still during synchronous work (it moves between I/O events), so inside a
// Durable Object the snapshot's encoding and its SQLite writes cannot be told apart: one row there.
// The keyed state is encoded a slice at a time after the barrier, its chunk writes overlapping the
// encoding: the synchronous part at the barrier is tiny, so the split that tells is the memory run's.
const checkpointRows = (name: string, xs: CheckpointSample[], memory: number[], split: boolean) => {
  const raw = m(xs.map((x) => x.rawMs));
  const row = (label: string, ms: number) => [label, ms.toFixed(0), raw.toFixed(0), formatRatio(ms / raw)];
  const total = row(`${name}: checkpoint of ${(xs[0]!.stateBytes / 1e6).toFixed(1)} MB (ms)`, m(xs.map((x) => x.checkpointMs)));
  const parts = split ? [row('  of which at the barrier (synchronous)', m(xs.map((x) => x.encodeMs))), row('  of which after it (encoding slices, chunk writes)', m(xs.map((x) => x.writeMs)))] : [];
  return [total, ...parts, row(`${name}: the same job into memory storage (encoding only)`, m(memory))];
};
console.log('');
printTable(['figure (median of rounds)', 'parallelism 1 / Weir', 'parallelism 3 / raw', 'ratio'], [
  ['job object: events/s, POST → committed table', formatRate(m(samples.p1)), formatRate(m(samples.p3)), formatRatio(m(samples.p3) / m(samples.p1))],
  ['  the POSTs alone (appends/s)', formatRate(m(samples.p1Append)), formatRate(m(samples.p3Append)), formatRatio(m(samples.p3Append) / m(samples.p1Append))],
  // Every event enters through the one object the app addresses (its input log): its POSTs bound both runs,
  // so p3 / p1 can reach at most p3's append rate over p1's events/s, whatever the shards do.
  ['  p3 end to end over its own POSTs (appends/s): the share of its ingestion bound reached', '', '', `${(100 * m(samples.p3) / m(samples.p3Append)).toFixed(0)} %`],
  ['  without Weir: the same CPU work in 3 objects at once vs in 1 (the ceiling of p3 / p1 here)', '', '', formatRatio(m(samples.spread))],
  ...checkpointRows('Durable Object', samples.durableObject, samples.durableObjectMemory, false),
  ...checkpointRows('Deno KV', samples.denoKv, samples.denoMemory, true),
  ['Deno KV: the raw write after the checkpoint, in its process (warm)', '', m(samples.denoKv.map((x) => x.rawAfterMs)).toFixed(0), ''],
  ...checkpointRows('Deno KV, warm (job and raw write once before, same process)', samples.denoKvWarm, samples.denoMemoryWarm, true),
  // Whether the chunk writes ran while the state was encoded (KV's SQLite thread beside the JS thread) or after it.
  ...(PARTS.has('kv') ? [['Deno KV (cold / warm): chunk commits settled before the last was handed to KV, per round', samples.denoKv.map(overlap).join(' '), samples.denoKvWarm.map(overlap).join(' '), ''],
    ['  ms from the last chunk handed to KV to the last settled (median, cold / warm)', m(samples.denoKv.map((x) => x.tailMs ?? NaN)).toFixed(0), m(samples.denoKvWarm.map((x) => x.tailMs ?? NaN)).toFixed(0), '']] : []),
]);
console.log(`aims: parallelism 3 ≥ 2× parallelism 1; checkpoint ≤ 1.5× the raw write. Load average during the rounds: ${loads.join(', ')} (2 cores here).`);
console.log(`saved ${saveResults('edge', { machine: machine(), loads, events: EVENTS, keys: KEYS, samples })}`);
