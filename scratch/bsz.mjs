import { build } from 'esbuild';
import { writeFileSync, mkdirSync } from 'node:fs';
mkdirSync('/tmp/perf/bsz', { recursive: true });
writeFileSync('/tmp/perf/bsz/app.ts', `import { run, readTable } from 'weir';
    const handle = await run(new URL('./sum.job.js', import.meta.url), { parallelism: 2, checkpointing: { intervalMs: 1000 } });
    handle.on('checkpoint', (c) => console.log(c.id, c.status));
    await handle.done;
    console.log(await readTable('sum', 'sums'));`);
const r = await build({ entryPoints: ['/tmp/perf/bsz/app.ts'], bundle: true, minify: true, format: 'esm', splitting: true, platform: 'browser', write: false, metafile: true, outdir: '/tmp/perf/bsz/out',
  alias: { weir: '/work/wt/perf/src/entries/browser.ts' }, tsconfigRaw: '{}', mainFields: ['module','main'] });
const outs = r.metafile.outputs;
const entry = Object.keys(outs).find(k => outs[k].entryPoint);
const seen = new Set(); const visit = (o) => { if (seen.has(o)) return; seen.add(o); for (const i of outs[o].imports) if (i.kind === 'import-statement') visit(i.path); }; visit(entry);
const ins = [...seen].flatMap(o => Object.entries(outs[o].inputs)).map(([k,v]) => [k.replace('/work/wt/perf/',''), v.bytesInOutput]).sort((a,b)=>b[1]-a[1]);
let tot=0; for (const [,b] of ins) tot+=b;
console.log('total', tot, [...seen]);
for (const [k,b] of ins.slice(0,80)) console.log(String(b).padStart(7), k);
const inputs = r.metafile.inputs;
for (const target of ['src/api/data-stream.ts', 'src/state/heap-keyed-state-backend.ts', 'src/api/windows.ts', 'src/state/backends/memory-storage.ts']) {
  const importers = Object.entries(inputs).filter(([k, v]) => v.imports.some((i) => i.path.endsWith(target))).map(([k, v]) => k.replace('/work/wt/perf/','') + ' (' + v.imports.find((i) => i.path.endsWith(target)).kind + ')');
  console.log(target, '<-', importers);
}
const fs = await import('node:fs');
const code = r.outputFiles.filter(f => [...seen].some(s => f.path.endsWith(s.split('/').pop()))).map(f => f.text).join('\n');
for (const needle of ['applies to an operator', 'could not load the job module', 'is only available while a keyed record']) {
  const i = code.indexOf(needle); console.log(needle, i >= 0 ? code.slice(Math.max(0, i - 300), i + 50) : 'absent');
}
{
  const start = Object.keys(inputs).find(k => k.endsWith('app.ts'));
  const prev = new Map([[start, null]]); const q = [start];
  while (q.length) { const k = q.shift(); for (const i of inputs[k].imports) { if (i.kind !== 'import-statement' || prev.has(i.path)) continue; prev.set(i.path, k); q.push(i.path); } }
  for (const t of ['src/state/heap-keyed-state-backend.ts', 'src/api/data-stream.ts']) {
    let k = Object.keys(inputs).find(x => x.endsWith(t)); const chain = [];
    while (k) { chain.push(k.replace('/work/wt/perf/', '')); k = prev.get(k); }
    console.log(chain.reverse().join(' -> '));
  }
}
{ const zlib = await import('node:zlib'); let gz = 0; for (const f of r.outputFiles) if ([...seen].some(s => f.path.endsWith(s.split('/').pop()))) gz += zlib.gzipSync(f.contents, { level: 9 }).length; console.log('initial gz', gz); }
