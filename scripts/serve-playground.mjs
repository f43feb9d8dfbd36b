// `npm start`: builds Weir (dist/), bundles the playground (playground/) with esbuild, and serves it
// on http://127.0.0.1:$PORT/ (default 8080; PORT=0 picks a free port). Open the printed URL.
//
// Usage: node scripts/serve-playground.mjs [--no-build] [--outdir DIR]
//   --no-build     use the dist/ already built (the e2e tests: npm test has just built it)
//   --outdir DIR   bundle into DIR instead of playground/dist/ (the e2e tests bundle into a temp folder)
// Prints `playground: http://127.0.0.1:PORT/` once it listens; Ctrl-C stops it.
//
// The playground is an app like any user's: it imports 'weir', which esbuild resolves through this
// package's own exports map (a package may import itself by name) with the 'browser' condition, to
// dist/browser.js; the worker is the entry { in: 'weir/worker', out: 'weir-worker' }, as README.md
// tells esbuild users, and the job module is an entry of its own (it is loaded by URL in every worker).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
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

rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
try {
  await build({
    absWorkingDir: join(root, 'playground'),
    entryPoints: [
      { in: 'src/main.ts', out: 'main' },
      { in: 'src/demo.job.ts', out: 'demo.job' },
      { in: 'weir/worker', out: 'weir-worker' },
    ],
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
} catch {
  console.error('serve-playground: bundling the playground failed (see above)');
  process.exit(1);
}

const server = createServer(staticFiles(outdir));

server.on('error', (error) => {
  console.error(`serve-playground: cannot listen on 127.0.0.1:${port}: ${error.message}${error.code === 'EADDRINUSE' ? ' (set PORT to another port, or PORT=0 for any free one)' : ''}`);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => {
  const { port: actual } = server.address();
  console.log(`playground: http://127.0.0.1:${actual}/`);
  console.log('playground: serving', relative(root, outdir) || '.', '— Ctrl-C stops it');
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
