// Unaligned checkpoints (FLIP-76) under backpressure: a job whose sink busy-waits BUSY_US a record
// (every buffer on the way full), checkpointed by hand every PAUSE_MS, once with aligned barriers and
// once unaligned, in the same run, in-process and in worker_threads. Prints the median checkpoint
// duration of each mode, their ratio (the aim: unaligned ≤ 0.2 × aligned), and the channel state the
// unaligned checkpoints stored (records and bytes in flight across the cut). Asserts nothing.
//
// Env: WEIR_BENCH_CHECKPOINTS (default 8 per mode), WEIR_BENCH_BUSY_US (default 20).
import { run, type CheckpointStats, type JobHandle } from 'weir';
import { buildUnalignedBenchJob } from './jobs/unaligned.job.js';
import { envInt, formatRatio, loadAverage, machine, median, printTable, saveResults } from './harness.js';

const CHECKPOINTS = envInt('WEIR_BENCH_CHECKPOINTS', 8);
const BUSY_US = envInt('WEIR_BENCH_BUSY_US', 20);
const PAUSE_MS = 100;
const NETWORK = { batchSize: 512, credits: 4 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface ModeResult {
  readonly durations: number[];
  readonly failed: number;
  readonly channelStateRecords: number[];
  readonly channelStateBytes: number[];
  readonly unaligned: number;
}

async function measure(executor: 'in-process' | 'workers', unaligned: boolean, parallelism: number): Promise<ModeResult> {
  const name = `bench-unaligned-${executor}-${unaligned ? 'u' : 'a'}-${process.pid}`;
  const checkpointing = { intervalMs: 3_600_000, timeoutMs: 120_000, ...(unaligned ? { unaligned: true } : {}) };
  const options = { parallelism, checkpointing, network: NETWORK, resume: 'none' as const, heartbeat: { intervalMs: 1000, timeoutMs: 120_000 } };
  let handle: JobHandle;
  if (executor === 'workers') {
    const url = new URL('./jobs/unaligned.job.js', import.meta.url);
    for (const [k, v] of Object.entries({ name, busyUs: BUSY_US })) url.searchParams.set(k, String(v));
    handle = await run(url, options);
  } else {
    handle = await run(buildUnalignedBenchJob(name, 1e9, BUSY_US), { ...options, executor: 'in-process' });
  }
  await sleep(500); // the buffers fill
  const stats: CheckpointStats[] = [];
  let failed = 0;
  for (let i = 0; i < CHECKPOINTS; i++) {
    try {
      stats.push(await handle.triggerCheckpoint());
    } catch {
      failed++;
    }
    await sleep(PAUSE_MS);
  }
  await handle.cancel();
  return {
    durations: stats.map((s) => s.durationMs ?? NaN),
    failed,
    channelStateRecords: stats.map((s) => s.channelStateRecords),
    channelStateBytes: stats.map((s) => s.channelStateSize),
    unaligned: stats.filter((s) => s.unaligned).length,
  };
}

const rows: string[][] = [];
const results: unknown[] = [];
for (const [executor, parallelism] of [['in-process', 1], ['workers', 2]] as const) {
  const aligned = await measure(executor, false, parallelism);
  const unaligned = await measure(executor, true, parallelism);
  const a = median(aligned.durations);
  const u = median(unaligned.durations);
  rows.push([
    `${executor}, p${parallelism}`, `${a.toFixed(0)} ms`, `${u.toFixed(0)} ms`, formatRatio(u / a),
    `${median(unaligned.channelStateRecords).toFixed(0)} rec, ${(median(unaligned.channelStateBytes) / 1024).toFixed(1)} KiB`,
    `${aligned.failed}/${unaligned.failed}`, `${unaligned.unaligned}/${unaligned.durations.length}`,
  ]);
  results.push({ executor, parallelism, aligned, unaligned, ratio: u / a });
}

console.log(`unaligned: checkpoint duration under backpressure (sink ${BUSY_US} µs a record, batch ${NETWORK.batchSize}, ${NETWORK.credits} credits), median of ${CHECKPOINTS} checkpoints per mode; load ${loadAverage()}`);
printTable(['run', 'aligned', 'unaligned', 'unaligned ÷ aligned (aim ≤ 0.2)', 'channel state (median)', 'failed a/u', 'taken unaligned'], rows);
console.log(`saved ${saveResults('unaligned', { machine: machine(), loadAverage: loadAverage(), checkpoints: CHECKPOINTS, busyUs: BUSY_US, network: NETWORK, results })}`);
