// Bundle sizes as an app's bundler makes them: esbuild, minified, the `browser` condition, gzip -9.
// Apps bundled from the built package (as consumers get it), all in one esbuild build with
// splitting, as an app with a job module and the worker has them:
//   - workers-only: a page that runs a job module in Web Workers (`run(new URL('./x.job.js'))`) and
//     reads its table, importing `weir/runner` or the main entry `weir`: what the page downloads
//     first (its entry and every chunk that entry imports statically). Chunks behind run()'s
//     dynamic import()s (the graph builder, loaded when a job starts; the in-process runtime,
//     loaded only to run a job in the page) are shown apart. Aim: ≤ 25 KB gzipped.
//   - in-page: a page that defines a job and runs it in its own thread.
//   - the worker: `weir/worker`, self-contained, as the app emits it beside the page.
// esbuild places code by file: whatever a lazy chunk uses that the entry can reach statically
// (the main entry re-exports the whole DataStream API) lands in the page's first download.
// For each, the bytes of its main parts (minified bytes in the output, by source folder), from
// esbuild's metafile. Prints numbers; asserts nothing.
import { build, type Metafile } from 'esbuild';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { weirFrom } from './chromium-driver.js';
import { staticClosure } from './first-download.js';
import { printTable, saveResults } from './harness.js';

const AIM_GZIP_BYTES = 25 * 1024;
const HERE = fileURLToPath(new URL('.', import.meta.url));
const SNAPSHOT = existsSync(join(HERE, 'node_modules/weir/dist/browser.js')) ? HERE : undefined;
const root = process.cwd();
const WORK = mkdtempSync(join(root, 'bench-results/.bundle-size-'));

const WORKERS_ONLY = (from: string) => `
    import { run, readTable } from '${from}';
    const handle = await run(new URL('./sum.job.js', import.meta.url), { parallelism: 2, checkpointing: { intervalMs: 1000 } });
    handle.on('checkpoint', (c) => console.log(c.id, c.status));
    await handle.done;
    console.log(await readTable('sum', 'sums'));
  `;

const APPS = {
  'workers-only (weir/runner)': WORKERS_ONLY('weir/runner'),
  'workers-only (weir)': WORKERS_ONLY('weir'),
  'in-page (weir)': `
    import { job, run, readTable, sources, sinks } from 'weir';
    const definition = job('sum', (env) => env.fromSource(sources.sequence({ from: 0, to: 1000 }))
      .map((n) => ({ k: n % 10, v: n })).keyBy((r) => r.k).sum('v').sinkTo(sinks.table('sums', { key: 'k' })));
    await (await run(definition, { checkpointing: { intervalMs: 1000 } })).done;
    console.log(await readTable('sum', 'sums'));
  `,
} as const;


const JOB = `
  import { job, sources, sinks } from 'weir';
  export default job('sum', (env) => env.fromSource(sources.sequence({ from: 0, to: 1000 }))
    .map((n) => ({ k: n % 10, v: n })).keyBy((r) => r.k).sum('v').sinkTo(sinks.table('sums', { key: 'k' })));
`;

interface Part {
  readonly part: string;
  readonly bytes: number;
}

/** Which part of the bundle a source file is: a folder of src/, a dependency, or the app. */
function partOf(input: string): string {
  const src = /^src\/([^/]+(?:\/[^/.]+)?)\//.exec(input);
  if (src !== null) return `src/${src[1]}`;
  const dep = /node_modules\/(@[^/]+\/[^/]+|[^/]+)/.exec(input);
  return dep !== null ? dep[1]! : 'the app';
}

function partsOf(metafile: Metafile, outputs: readonly string[]): Part[] {
  const bytes = new Map<string, number>();
  for (const o of outputs) {
    for (const [input, info] of Object.entries(metafile.outputs[o]!.inputs)) {
      const part = partOf(input);
      bytes.set(part, (bytes.get(part) ?? 0) + info.bytesInOutput);
    }
  }
  return [...bytes].map(([part, n]) => ({ part, bytes: n })).sort((a, b) => b.bytes - a.bytes);
}

const gz = (files: readonly string[]) => files.reduce((n, f) => n + gzipSync(readFileSync(f), { level: 9 }).length, 0);
const raw = (files: readonly string[]) => files.reduce((n, f) => n + readFileSync(f).length, 0);
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

// Sources of the apps, beside a package.json that resolves 'weir' (through weirFrom, to the run's snapshot).
const srcDir = join(WORK, 'src');
rmSync(srcDir, { recursive: true, force: true });
const fileOf = (name: string) => name.replace(/[^a-z0-9]+/gi, '-').replace(/-$/, '');
for (const [name, code] of Object.entries(APPS)) writeFileSync(join(WORK, `${fileOf(name)}.ts`), code);
writeFileSync(join(WORK, 'sum.job.ts'), JOB);

const results: Record<string, unknown> = {};
try {
  const out = join(WORK, 'out');
  const result = await build({
    absWorkingDir: root,
    entryPoints: [
      ...Object.keys(APPS).map((name) => ({ in: join(WORK, `${fileOf(name)}.ts`), out: fileOf(name) })),
      { in: join(WORK, 'sum.job.ts'), out: 'sum.job' },
      { in: 'weir/worker', out: 'weir-worker' },
    ],
    bundle: true,
    format: 'esm',
    splitting: true,
    minify: true,
    platform: 'browser',
    target: 'es2022',
    outdir: out,
    metafile: true,
    tsconfigRaw: '{}',
    plugins: [weirFrom(SNAPSHOT)],
    logLevel: 'error',
  });
  const { metafile } = result;
  // The same apps bundled from src/ (entries aliased), only to attribute bytes to source folders:
  // the built package is itself a bundle, so its metafile knows dist chunks, not src/ files.
  const bySource = await build({
    absWorkingDir: root,
    entryPoints: [
      ...Object.keys(APPS).map((name) => ({ in: join(WORK, `${fileOf(name)}.ts`), out: fileOf(name) })),
      { in: join(WORK, 'sum.job.ts'), out: 'sum.job' },
      { in: 'src/entries/weir-worker.ts', out: 'weir-worker' },
    ],
    alias: { 'weir/runner': './src/entries/runner.ts', weir: './src/entries/browser.ts' },
    mainFields: ['module', 'main'],
    bundle: true, format: 'esm', splitting: true, minify: true, platform: 'browser', target: 'es2022',
    outdir: join(WORK, 'out-src'), metafile: true, tsconfigRaw: '{}', logLevel: 'error',
  });
  const srcOutputOf = (name: string) => relative(root, join(WORK, 'out-src', `${name}.js`));
  const outputOf = (name: string) => relative(root, join(out, `${name}.js`));
  const rows: string[][] = [];
  const describe = (label: string, files: string[], lazy: string[], srcFiles: string[]) => {
    const gzip = gz(files);
    const parts = partsOf(bySource.metafile, srcFiles);
    rows.push([label, kb(raw(files)), kb(gzip), `${files.length}`, lazy.length > 0 ? `${kb(gz(lazy))} in ${lazy.length} lazy chunk(s)` : '']);
    console.log(`\n${label}: parts (minified bytes, bundled from src/)`);
    printTable(['part', 'bytes'], [...parts.slice(0, 12).map((p) => [p.part, String(p.bytes)]), ['(the rest)', String(parts.slice(12).reduce((n, p) => n + p.bytes, 0))]]);
    return { minified: raw(files), gzip, files: files.length, parts, lazyGzip: gz(lazy) };
  };
  const all = Object.keys(metafile.outputs).filter((f) => f.endsWith('.js'));
  for (const name of Object.keys(APPS)) {
    const initial = staticClosure(metafile, outputOf(fileOf(name)));
    const reachable = new Set<string>();
    const visitAll = (o: string) => {
      if (reachable.has(o)) return;
      reachable.add(o);
      for (const i of metafile.outputs[o]!.imports) if (!i.external && i.path.endsWith('.js')) visitAll(i.path);
    };
    visitAll(outputOf(fileOf(name)));
    const lazy = all.filter((f) => reachable.has(f) && !initial.includes(f));
    results[name] = describe(`page, ${name}`, initial, lazy, staticClosure(bySource.metafile, srcOutputOf(fileOf(name))));
  }
  results.worker = describe('worker (weir/worker)', [outputOf('weir-worker')], [], staticClosure(bySource.metafile, srcOutputOf('weir-worker')));
  const beyond = (m: Metafile, of: (n: string) => string) =>
    staticClosure(m, of('sum.job')).filter((f) => !staticClosure(m, of(fileOf('workers-only (weir/runner)'))).includes(f));
  results.jobModule = describe('job module (sum.job, beyond the weir/runner page\'s first download)', beyond(metafile, outputOf), [], beyond(bySource.metafile, srcOutputOf));

  console.log('');
  printTable(['bundle (esbuild --minify, gzip -9)', 'minified', 'gzipped', 'files', 'loaded later'], rows);
  console.log('');
  for (const name of ['workers-only (weir/runner)', 'workers-only (weir)']) {
    const pageGzip = (results[name] as { gzip: number }).gzip;
    console.log(`${name} page, first download: ${kb(pageGzip)} gzipped, aim ≤ ${kb(AIM_GZIP_BYTES)}: ${pageGzip <= AIM_GZIP_BYTES ? 'met' : 'NOT met'}`);
  }
  console.log(`saved ${saveResults('bundle-size', { date: new Date().toISOString(), aimGzipBytes: AIM_GZIP_BYTES, ...results })}`);
} finally {
  rmSync(WORK, { recursive: true, force: true });
}
