import { run, readTable } from 'weir';
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const N = 2_000_000;
const url = (name) => new URL(`./exchange.job.js?name=${name}&records=${N}&sinkBusyUs=0`, import.meta.url);
let k = 0;
async function once(label, parallelism, workers, binary = true) {
  const name = `par-${k++}`;
  const c0 = cpu(); const t0 = performance.now();
  const h = await run(url(name), { parallelism, executor: workers ? 'workers' : 'in-process', checkpointing: { intervalMs: 1000 }, resume: 'none', network: { binary } });
  const c1 = cpu(); const t1 = performance.now();
  await h.done;
  const c2 = cpu(); const t2 = performance.now();
  const rows = await readTable(name, 'sums');
  console.log(label.padEnd(28), 'startup', (t1 - t0).toFixed(0), 'ms; run', (t2 - t1).toFixed(0), 'ms wall,', (c2 - c1).toFixed(0), 'ms CPU =>', (N / (c2 - c1) / 1000).toFixed(2), 'M rec/CPU-s', (N / (t2 - t1) / 1000).toFixed(2), 'M rec/s', rows.length);
}
for (let r = 0; r < 2; r++) {
  await once('in-process p1', 1, false);
  await once('1 worker p1', 1, true);
  await once('2 workers p2 binary', 2, true);
  await once('2 workers p2 clone', 2, true, false);
}
process.exit(0);
