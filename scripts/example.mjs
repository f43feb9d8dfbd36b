// `npm run example`: builds Weir, bundles the seed example (a job module and the script that runs it) and runs it in Node.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);
execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: ['ignore', 'ignore', 'inherit'] });
// The job module is its own entry point: it is loaded by URL, as a worker would load it.
await build({
  entryPoints: [
    { in: 'examples/run-checkpoint-example.ts', out: 'run-checkpoint-example' },
    { in: 'examples/checkpoint-example.job.ts', out: 'checkpoint-example.job' },
  ],
  outdir: '.example-build',
  bundle: true,
  packages: 'external',
  external: ['weir', 'weir/*'], // not tsconfig's path to src/: the real package, through its exports map
  format: 'esm',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
});
execFileSync(process.execPath, ['.example-build/run-checkpoint-example.js'], { stdio: 'inherit' });
