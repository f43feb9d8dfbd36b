import { decodeBatch, encodeBatch } from '/work/wt/perf/src/channel/batch-codec.ts';
import { keyGroupOf } from '/work/wt/perf/src/graph/key-groups.ts';
const words: string[] = []; for (let i = 0; i < 1000; i++) words.push(Math.random().toString(36).slice(2, 10).padEnd(8, 'x'));
const batches = Array.from({ length: 50 }, (_, b) => {
  const records = Array.from({ length: 1024 }, (_, i) => ({ k: words[(b * 1024 + i) % 1000]!, v: 1 + (i % 10), t: b * 1024 + i }));
  return { kind: 'records' as const, records, keyGroups: records.map((r) => keyGroupOf(r.k, 128)) };
});
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
let spare: ArrayBuffer | undefined;
for (let round = 0; round < 3; round++) {
  let tE = 0, tD = 0; let n = 0;
  for (let k = 0; k < 40; k++) for (const b of batches) {
    const a = cpu(); const enc = encodeBatch(b, spare)!; const m = cpu(); const dec = decodeBatch(enc.buffer); const z = cpu();
    spare = enc.buffer; tE += m - a; tD += z - m; n += dec.records.length;
  }
  console.log(`encode ${(tE * 1e6 / n).toFixed(0)} ns/rec, decode ${(tD * 1e6 / n).toFixed(0)} ns/rec`);
}
