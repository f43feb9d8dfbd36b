import { run } from 'weir';
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const N = 2_000_000;
for (let r = 0; r < 3; r++) {
  const h = await run(new URL(`./exchange.job.js?name=p3-${r}&records=${N}&sinkBusyUs=0`, import.meta.url), { parallelism: 2, executor: 'workers', checkpointing: { intervalMs: 1000 }, resume: 'none' });
  const c1 = cpu(); const t1 = performance.now();
  await h.done;
  console.log('2 workers', (performance.now() - t1).toFixed(0), 'ms;', (cpu() - c1).toFixed(0), 'ms CPU', (N / (cpu() - c1) / 1000).toFixed(2), 'M/CPU-s');
}
process.exit(0);
