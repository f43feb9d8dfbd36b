// Scratch: full keyed snapshot encode + restore decode timing, old vs new (src path from argv).
import { HeapKeyedStateBackend } from '/tmp/perf/old/src/state/heap-keyed-state-backend.ts';
import { KeyedChunkReuse } from '/tmp/perf/old/src/runtime/task/keyed-chunk-reuse.ts';
import { encodeSubtaskSnapshot } from '/tmp/perf/old/src/runtime/task/subtask-state-io.ts';
import { decodeChunk } from '/tmp/perf/old/src/state/chunk-format.ts';
import { keyGroupOf, keyGroupRangeOf } from '/tmp/perf/old/src/graph/key-groups.ts';
const range = keyGroupRangeOf(0, 1, 128);
const N = Number(process.env.N ?? 88000);
const b = new HeapKeyedStateBackend(range);
const v = b.valueState('v');
const val = 'x'.repeat(100);
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const t0 = cpu();
for (let i = 0; i < N; i++) { const k = `k${i}`; b.setCurrentKey(k, keyGroupOf(k, 128)); v.update(val + (i % 10)); }
console.log('fill', (cpu() - t0).toFixed(0));
const op = { uid: 'op', keyedBackend: b, collect() {}, processWatermark() {}, initialize() {}, snapshotState: () => ({ keyedBackend: b }) };
for (let r = 0; r < 5; r++) {
  const t1 = cpu();
  const snap = encodeSubtaskSnapshot([op], r + 1, { jobName: 'j', attempt: 1, subtaskIndex: 0, keyGroupRange: range }, new Map([['op', new KeyedChunkReuse()]]));
  const t2 = cpu();
  const payloads = snap.write.map((w: any) => decodeChunk(w.bytes, 'keyed-state').payload);
  const t3 = cpu();
  const b2 = new HeapKeyedStateBackend(range); b2.restore(payloads);
  const t4 = cpu();
  console.log(`encode ${(t2 - t1).toFixed(0)} ms, decode ${(t3 - t2).toFixed(0)} ms, restore ${(t4 - t3).toFixed(0)} ms, bytes ${snap.write.reduce((n: number, w: any) => n + w.bytes.length, 0)}`);
}
