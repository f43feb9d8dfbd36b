import { run } from 'weir';
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const N = 4_000_000;
const h = await run(new URL(`./exchange.job.js?name=p2prof&records=${N}&sinkBusyUs=0`, import.meta.url), { parallelism: 2, executor: 'workers', checkpointing: { intervalMs: 1000 }, resume: 'none' });
const c1 = cpu(); const t1 = performance.now();
await h.done;
console.log('run', (performance.now() - t1).toFixed(0), 'ms;', (cpu() - c1).toFixed(0), 'ms CPU');
process.exit(0);
