// Main-thread CPU of one keyed snapshot of the edge bench's state (bench/edge/state.job.ts: 10,000
// keys, each { key: n, pad: `${n}:${PAD}` }, a rope string V8 has not flattened), encoded, framed and
// checksummed as a checkpoint does (SubtaskSnapshot, chunks lent to a sink that gives them back at
// once, as Durable Object storage does). Each round makes fresh values and moves them to the old
// generation (gc) first, as in a job that has run a while. CPU from /proc (Linux): wall-clock ratios
// swing on a loaded machine. Run through keyed-encode-cpu.mjs, which builds it from a src/ tree.
import { readFileSync } from 'node:fs';
import { keyGroupOf, keyGroupRangeOf } from '../../src/graph/key-groups.js';
import type { StreamOperator } from '../../src/runtime/operators/stream-operator.js';
import { KeyedChunkReuse } from '../../src/runtime/task/keyed-chunk-reuse.js';
import { SubtaskSnapshot } from '../../src/runtime/task/subtask-snapshot.js';
import { HeapKeyedStateBackend } from '../../src/state/heap-keyed-state-backend.js';

const KEYS = Number(process.env.WEIR_BENCH_KEYS ?? 10_000);
const ROUNDS = Number(process.env.WEIR_BENCH_ROUNDS ?? 15);
const FLAT = process.env.WEIR_BENCH_FLAT === '1'; // information only: the same state with flat strings
const MAX = 128;
const range = keyGroupRangeOf(0, 1, MAX);
const who = { jobName: 'encode-cpu', attemptId: '1.1', subtaskIndex: 0, keyGroupRange: range };
const PAD = 'x'.repeat(1000);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

const backend = new HeapKeyedStateBackend(range);
const state = backend.valueState<unknown>('latest');
function fill(round: number): void {
  for (let k = 0; k < KEYS; k++) {
    backend.setCurrentKey(k, keyGroupOf(k, MAX));
    const pad = `${k + round}:${PAD}`;
    state.update({ key: k, pad: FLAT ? pad.split('').join('') : pad });
  }
}
const op = { uid: 'op', keyedBackend: backend, collect() {}, processWatermark() {}, initialize() {}, snapshotState: () => ({ keyedBackend: backend }) } as unknown as StreamOperator;
const threadMs = () => Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
const processMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const thread: number[] = [], proc: number[] = [];
let bytes = 0;
for (let r = 0; r < ROUNDS + 2; r++) {
  fill(r);
  gc();
  gc();
  const t0 = threadMs(), p0 = processMs();
  bytes = 0;
  const snapshot = new SubtaskSnapshot([op], r + 1, who, new Map([['op', new KeyedChunkReuse()]]), (_handle, chunk, release) => {
    bytes += chunk.length;
    release?.();
    return Promise.resolve();
  }, true);
  snapshot.finish();
  if (r >= 2) { thread.push(threadMs() - t0); proc.push(processMs() - p0); } // two rounds to warm up
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
console.log(JSON.stringify({ strings: FLAT ? 'flat' : 'ropes', keys: KEYS, bytes, rounds: ROUNDS, mainThreadCpuMs: +median(thread).toFixed(1), processCpuMs: +median(proc).toFixed(1), perRound: thread.map((x) => +x.toFixed(1)) }));
