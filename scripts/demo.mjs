// `npm run demo`: builds Weir, bundles the example (a job module and the script that runs it) and runs it in Node.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);
execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: ['ignore', 'ignore', 'inherit'] });
// The job module is its own entry point: it is loaded by URL, as a worker would load it.
await build({
  entryPoints: [
    { in: 'examples/run-wordcount.ts', out: 'run-wordcount' },
    { in: 'examples/wordcount.job.ts', out: 'wordcount.job' },
  ],
  outdir: '.demo-build',
  bundle: true,
  packages: 'external',
  external: ['weir', 'weir/*'], // not tsconfig's path to src/: the real package, through its exports map
  format: 'esm',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
});
execFileSync(process.execPath, ['.demo-build/run-wordcount.js'], { stdio: 'inherit' });
