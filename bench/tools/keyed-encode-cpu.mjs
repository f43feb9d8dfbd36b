// Builds bench/tools/keyed-encode-cpu.ts against a src/ tree (default this repo's) and runs it:
//   node bench/tools/keyed-encode-cpu.mjs [path/to/src]
// To compare builds side by side, check another commit out elsewhere (`git archive <commit> src | tar -x -C /tmp/x`)
// and run this with /tmp/x/src, in turn with this repo's.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const src = resolve(process.argv[2] ?? join(here, '../../src'));
const dir = mkdtempSync(join(tmpdir(), 'weir-encode-cpu-'));
try {
  const outfile = join(dir, 'keyed-encode-cpu.mjs');
  await build({
    entryPoints: [join(here, 'keyed-encode-cpu.ts')], bundle: true, platform: 'node', format: 'esm', outfile, logLevel: 'error',
    plugins: [{ name: 'src', setup(b) { b.onResolve({ filter: /^\.\.\/\.\.\/src\// }, (a) => ({ path: a.path.replace(/^\.\.\/\.\.\/src/, src).replace(/\.js$/, '.ts') })); } }],
  });
  const run = spawnSync(process.execPath, ['--expose-gc', outfile], { stdio: 'inherit' });
  process.exitCode = run.status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
