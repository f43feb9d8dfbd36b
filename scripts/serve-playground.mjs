// `npm start`: builds Weir (dist/), bundles the playground (playground/) with esbuild, and serves it
// on http://127.0.0.1:$PORT/ (default 8080; PORT=0 picks a free port). Open the printed URL.
//
// Usage: node scripts/serve-playground.mjs [--no-build] [--outdir DIR]
//   --no-build     use the dist/ already built (the e2e tests: npm test has just built it)
//   --outdir DIR   bundle into DIR instead of playground/dist/ (the e2e tests bundle into a temp folder)
// Prints `playground: http://127.0.0.1:PORT/` once it listens; Ctrl-C stops it. Besides the files it
// serves one endpoint, GET /feed/events: a live Server-Sent Events feed (scripts/playground-feed.mjs).
//
// The playground is an app like any user's: it imports 'weir', which esbuild resolves through this
// package's own exports map (a package may import itself by name) with the 'browser' condition, to
// dist/browser.js; the worker is the entry { in: 'weir/worker', out: 'weir-worker' }, as README.md
// tells esbuild users, and the job module is an entry of its own (it is loaded by URL in every worker).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { feedHandler } from './playground-feed.mjs';
import { staticFiles } from './static-files.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);

const args = process.argv.slice(2);
const skipDistBuild = args.includes('--no-build');
const outdirFlag = args.indexOf('--outdir');
const outdir = resolve(outdirFlag >= 0 && args[outdirFlag + 1] ? args[outdirFlag + 1] : 'playground/dist');
const port = Number(process.env.PORT ?? 8080);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`serve-playground: PORT must be a port number (0 for any free one), got '${process.env.PORT}'`);
  process.exit(1);
}

if (skipDistBuild) {
  if (!existsSync('dist/browser.js') || !existsSync('dist/weir-worker.js')) {
    console.error('serve-playground: --no-build, but dist/ is not built: run `npm run build` first');
    process.exit(1);
  }
} else {
  console.log('playground: building weir (dist/)…');
  try {
    execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: ['ignore', 'ignore', 'inherit'] });
  } catch {
    console.error('serve-playground: building dist/ failed (node scripts/build.mjs)');
    process.exit(1);
  }
}

// `import text from './x.js?raw'`: the file as a string (the examples, shown in the editor).
const rawText = {
  name: 'raw-text',
  setup(b) {
    b.onResolve({ filter: /\?raw$/ }, (a) => ({ path: resolve(a.resolveDir, a.path.slice(0, -'?raw'.length)), namespace: 'raw-text' }));
    b.onLoad({ filter: /.*/, namespace: 'raw-text' }, async (a) => ({ contents: await readFile(a.path, 'utf8'), loader: 'text', watchFiles: [a.path] }));
  },
};

rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
/** Bytes of what the page loads before any job runs: main.js and the chunks it imports (not the worker). */
function bundleSizes(metafile) {
  const outputs = metafile.outputs;
  const pageFiles = new Set();
  const visit = (file) => {
    if (pageFiles.has(file) || !outputs[file]) return;
    pageFiles.add(file);
    for (const i of outputs[file].imports) if (i.kind === 'import-statement') visit(i.path);
  };
  const main = Object.keys(outputs).find((f) => f.endsWith('/main.js'));
  if (main) visit(main);
  const files = Object.fromEntries(Object.entries(outputs).filter(([f]) => f.endsWith('.js')).map(([f, o]) => [relative(outdir, resolve(root, 'playground', f)), o.bytes]));
  const page = [...pageFiles].reduce((n, f) => n + outputs[f].bytes, 0);
  const pageGzip = [...pageFiles].reduce((n, f) => n + gzipSync(readFileSync(resolve(root, 'playground', f))).length, 0);
  // What CodeMirror adds to the page: the bytes of its inputs (after minification) in the page's files.
  let editor = 0;
  for (const f of pageFiles) for (const [input, i] of Object.entries(outputs[f].inputs)) if (/node_modules\/(@codemirror|@lezer|style-mod|w3c-keyname|crelt)\//.test(input)) editor += i.bytesInOutput;
  return { pageBytes: page, pageGzipBytes: pageGzip, editorBytes: editor, files };
}

let result;
try {
  result = await build({
    absWorkingDir: join(root, 'playground'),
    // weir.js is the package itself, for the job modules the editor makes (job-loader.ts rewrites
    // their `from 'weir'` to it); with splitting it shares one chunk with main.js, so the page and the
    // job module use one copy of Weir. playground.js is what a job module may import as 'playground'.
    entryPoints: [
      { in: 'src/main.ts', out: 'main' },
      { in: 'weir', out: 'weir' },
      { in: 'src/hooks.ts', out: 'playground' },
      { in: 'weir/worker', out: 'weir-worker' },
    ],
    plugins: [rawText],
    minify: true,
    metafile: true,
    // Not the repository's tsconfig.json, whose `paths` point 'weir' at src/ for type-checking:
    // the playground runs the built package, like any app.
    tsconfig: join(root, 'playground/tsconfig.json'),
    conditions: ['browser'],
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    sourcemap: true,
    outdir,
    logLevel: 'warning',
  });
  copyFileSync(join(root, 'playground/index.html'), join(outdir, 'index.html'));
  writeFileSync(join(outdir, 'bundle-sizes.json'), JSON.stringify(bundleSizes(result.metafile), null, 2));
} catch {
  console.error('serve-playground: bundling the playground failed (see above)');
  process.exit(1);
}

// The files, and the live feed the "Live feed from the server (SSE)" example reads (playground-feed.mjs).
const files = staticFiles(outdir);
const feed = feedHandler();
const server = createServer((req, res) => {
  if (!feed(req, res)) files(req, res);
});

server.on('error', (error) => {
  console.error(`serve-playground: cannot listen on 127.0.0.1:${port}: ${error.message}${error.code === 'EADDRINUSE' ? ' (set PORT to another port, or PORT=0 for any free one)' : ''}`);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => {
  const { port: actual } = server.address();
  console.log(`playground: http://127.0.0.1:${actual}/`);
  const sizes = bundleSizes(result.metafile);
  console.log(`playground: page bundle ${(sizes.pageBytes / 1024).toFixed(0)} KiB minified, ${(sizes.pageGzipBytes / 1024).toFixed(0)} KiB gzipped (the editor ${(sizes.editorBytes / 1024).toFixed(0)} KiB minified)`);
  console.log('playground: serving', relative(root, outdir) || '.', '— Ctrl-C stops it');
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
