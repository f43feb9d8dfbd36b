import { build } from 'esbuild';
import { writeFileSync, mkdirSync } from 'node:fs';
mkdirSync('/tmp/perf/bsz', { recursive: true });
writeFileSync('/tmp/perf/bsz/app.ts', `import { run, readTable } from 'weir/runner';
    const handle = await run(new URL('./sum.job.js', import.meta.url), { parallelism: 2, checkpointing: { intervalMs: 1000 } });
    await handle.done; console.log(await readTable('sum', 'sums'));`);
const r = await build({ entryPoints: ['/tmp/perf/bsz/app.ts'], bundle: true, minify: true, format: 'esm', splitting: true, platform: 'browser', write: false, metafile: true, outdir: '/tmp/perf/bsz/out',
  alias: { 'weir/runner': '/work/wt/perf/src/entries/runner.ts' }, tsconfigRaw: '{}', mainFields: ['module','main'] });
const outs = r.metafile.outputs;
const entry = Object.keys(outs).find(k => outs[k].entryPoint);
const seen = new Set(); const visit = (o) => { if (seen.has(o)) return; seen.add(o); for (const i of outs[o].imports) if (i.kind === 'import-statement') visit(i.path); }; visit(entry);
const ins = [...seen].flatMap(o => Object.entries(outs[o].inputs)).map(([k,v]) => [k.replace('/work/wt/perf/',''), v.bytesInOutput]).sort((a,b)=>b[1]-a[1]);
for (const [k,b] of ins.slice(0,40)) console.log(String(b).padStart(7), k);
