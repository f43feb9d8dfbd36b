import { run } from 'weir';
import { readdirSync, readFileSync } from 'node:fs';
const threads = () => { const m = new Map(); for (const t of readdirSync('/proc/self/task')) { try { m.set(t, Number(readFileSync(`/proc/self/task/${t}/schedstat`, 'utf8').split(' ')[0]) / 1e6); } catch {} } return m; };
const N = 2_000_000;
async function once(label, parallelism, network = {}) {
  const h = await run(new URL(`./exchange.job.js?name=p4-${label.replaceAll(' ', '_')}-${Math.floor(Math.random() * 1e9)}&records=${N}&sinkBusyUs=0`, import.meta.url), { parallelism, executor: 'workers', checkpointing: { intervalMs: 1000 }, resume: 'none', network });
  const a = threads(); const t1 = performance.now();
  await h.done;
  const b = threads(); const wall = performance.now() - t1;
  const per = [...b].map(([t, v]) => [t, v - (a.get(t) ?? v)]).filter(([, d]) => d > 20).sort((x, y) => y[1] - x[1]);
  console.log(label, 'wall', wall.toFixed(0), 'ms; CPU per thread (ms):', per.map(([t, d]) => `${t === String(process.pid) ? 'main' : t}:${d.toFixed(0)}`).join(' '), 'total', per.reduce((s, [, d]) => s + d, 0).toFixed(0));
}
for (let r = 0; r < 2; r++) { await once('p1', 1); await once('p2', 2); await once('p2 b4096', 2, { batchSize: 4096 }); await once('p2 b4096 c8', 2, { batchSize: 4096, credits: 8 }); }
process.exit(0);
