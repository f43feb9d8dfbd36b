// Builds dist/: one ESM bundle per runtime entry (sharing chunks), a self-contained worker, and .d.ts files.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);
rmSync('dist', { recursive: true, force: true });

// Workers are loaded by URL, so each is one self-contained file; the rest are the export conditions.
const WORKERS = { 'weir-worker': 'neutral', 'weir-worker-node': 'node' };
const entries = readdirSync('src/entries')
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !(basename(f, '.ts') in WORKERS))
  .map((f) => ({ in: `src/entries/${f}`, out: basename(f, '.ts') }));

const common = { bundle: true, format: 'esm', target: 'es2022', sourcemap: true, metafile: true, logLevel: 'warning' };

// Dependencies stay external so the consumer's bundler dedupes them; splitting keeps the
// per-runtime entries from each carrying a copy of the shared library code.
const lib = await build({
  ...common,
  entryPoints: entries,
  outdir: 'dist',
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  packages: 'external',
  platform: 'neutral',
});

// The worker is loaded by URL (new Worker(new URL('./weir-worker.js', import.meta.url))), where no
// bundler or import map resolves bare specifiers, so every dependency is inlined.
// comlink has no "exports" field, only "module"/"main", which platform 'neutral' does not read by default.
const workers = await Promise.all(Object.entries(WORKERS).map(([name, platform]) => build({
  ...common,
  entryPoints: [{ in: `src/entries/${name}.ts`, out: name }],
  outdir: 'dist',
  platform,
  mainFields: ['module', 'main'],
})));

// Declarations only; rootDir is src, so src/index.ts becomes dist/index.d.ts (the "types" condition).
try {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
} catch {
  console.error('build: tsc -p tsconfig.build.json failed');
  process.exit(1);
}
if (!existsSync('dist/index.d.ts')) {
  console.error('build: dist/index.d.ts is missing (does src/index.ts exist?)');
  process.exit(1);
}

const outputs = [lib, ...workers].flatMap((r) => Object.keys(r.metafile.outputs)).filter((f) => f.endsWith('.js'));
for (const file of outputs.sort()) {
  const bytes = readFileSync(file);
  console.log(`${relative(root, file).padEnd(40)} ${String(bytes.length).padStart(8)} B  ${String(gzipSync(bytes).length).padStart(7)} B gzip`);
}
