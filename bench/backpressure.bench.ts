// Backpressure, in-process: an unthrottled source into a sink that busy-waits 20 µs a record for its
// first SLOW records, then takes them as fast as it can. Prints the records per second while the
// sink is slow and after it speeds up, and their ratio, measured in the same run: how quickly the
// source comes back once credit flows again. (test/unit/runtime/backpressure.test.ts checks the
// bound on records in flight, and that nothing on the way back waits for a timer; this measures.)
// Prints numbers; asserts nothing.
//
// Env: WEIR_BENCH_RECORDS (default 400 000), WEIR_BENCH_ROUNDS (default 5; the median is printed).
import { job, run, sources, type Sink } from 'weir';
import { envInt, formatRate, formatRatio, loadAverage, machine, median, printTable, saveResults } from './harness.js';

const RECORDS = envInt('WEIR_BENCH_RECORDS', 400_000);
const SLOW = Math.floor(RECORDS / 5);
const ROUNDS = envInt('WEIR_BENCH_ROUNDS', 5);
const CONFIGS = [
  { batchSize: 256, credits: 2, parallelism: 1 },
  { batchSize: 1024, credits: 4, parallelism: 2 },
];

function busyWait(micros: number): void {
  const end = performance.now() + micros / 1000;
  while (performance.now() < end);
}

interface Sample {
  readonly slowRate: number;
  readonly fastRate: number;
  readonly maxInFlight: number;
}

async function measure(batchSize: number, credits: number, parallelism: number, round: number): Promise<Sample> {
  let emitted = 0;
  let received = 0;
  let maxInFlight = 0;
  let slowEndedAt = 0;
  let endedAt = 0;
  const sink: Sink<number> = {
    kind: 'weir.sink',
    name: 'slow-then-fast',
    guarantee: 'at-least-once',
    createWriter: () => ({
      write() {
        received++;
        maxInFlight = Math.max(maxInFlight, emitted - received);
        if (received <= SLOW) busyWait(20);
        if (received === SLOW) slowEndedAt = performance.now();
        if (received === RECORDS) endedAt = performance.now();
      },
      prepareCommit: () => undefined,
      commit: async () => {},
    }),
  };
  const started = performance.now();
  const handle = await run(
    job(`bench-backpressure-${batchSize}-${parallelism}-${round}`, (env) => {
      env
        .fromSource(sources.sequence({ from: 0, to: RECORDS }))
        .map((n) => {
          emitted++;
          return n;
        })
        .keyBy((n) => n % 10)
        .sinkTo(sink);
    }),
    { parallelism, checkpointing: false, network: { batchSize, credits } },
  );
  await handle.done;
  return {
    slowRate: SLOW / ((slowEndedAt - started) / 1000),
    fastRate: (RECORDS - SLOW) / ((endedAt - slowEndedAt) / 1000),
    maxInFlight,
  };
}

const rows: string[][] = [];
const results: unknown[] = [];
for (const { batchSize, credits, parallelism } of CONFIGS) {
  const samples: Sample[] = [];
  for (let round = 0; round < ROUNDS; round++) samples.push(await measure(batchSize, credits, parallelism, round));
  const slow = median(samples.map((s) => s.slowRate));
  const fast = median(samples.map((s) => s.fastRate));
  const ratios = samples.map((s) => s.fastRate / s.slowRate);
  const inFlight = Math.max(...samples.map((s) => s.maxInFlight));
  rows.push([`batch ${batchSize}, ${credits} credits, p${parallelism}`, formatRate(slow), formatRate(fast), formatRatio(median(ratios)), formatRatio(Math.min(...ratios)), String(inFlight)]);
  results.push({ batchSize, credits, parallelism, slowRecordsPerSecond: slow, fastRecordsPerSecond: fast, ratios, maxInFlight: inFlight });
}

console.log(`backpressure: ${RECORDS} records, the first ${SLOW} into a sink at 20 µs a record; median of ${ROUNDS} rounds; load ${loadAverage()}`);
printTable(['config', 'rec/s while slow', 'rec/s after', 'after ÷ slow (median)', '(lowest)', 'max in flight'], rows);
console.log(`saved ${saveResults('backpressure', { machine: machine(), loadAverage: loadAverage(), records: RECORDS, slowRecords: SLOW, rounds: ROUNDS, results })}`);
