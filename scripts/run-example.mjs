// `npm run demo` (the word count) and `npm run example` (the seed example): builds Weir, bundles
// an example's job module and the script that runs it, and runs that script in Node.
// Usage: node scripts/run-example.mjs <name>   — examples/run-<name>.ts with examples/<name>.job.ts
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);
const name = process.argv[2];
if (!name || !existsSync(`examples/run-${name}.ts`) || !existsSync(`examples/${name}.job.ts`)) {
  console.error(`usage: node scripts/run-example.mjs <name>, with examples/run-<name>.ts and examples/<name>.job.ts (got ${name ?? 'nothing'})`);
  process.exit(2);
}
execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: ['ignore', 'ignore', 'inherit'] });
// The job module is its own entry point: it is loaded by URL, as a worker would load it.
await build({
  entryPoints: [
    { in: `examples/run-${name}.ts`, out: `run-${name}` },
    { in: `examples/${name}.job.ts`, out: `${name}.job` },
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
execFileSync(process.execPath, [`.example-build/run-${name}.js`], { stdio: 'inherit' });
