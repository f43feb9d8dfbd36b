// Builds bench/tools/tumbling-cpu.ts against a src/ tree (default this repo's) and runs it:
//   node bench/tools/tumbling-cpu.mjs [path/to/src] [-- node options, e.g. --cpu-prof]
// To compare builds, add a worktree of the other commit (`git worktree add --detach /tmp/base <commit>`)
// and run this with /tmp/base/src, in turn with this repo's, several pairs.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const sep = process.argv.indexOf('--');
const args = sep < 0 ? process.argv.slice(2) : process.argv.slice(2, sep);
const nodeOptions = sep < 0 ? [] : process.argv.slice(sep + 1);
const src = resolve(args[0] ?? join(here, '../../src'));
// Kept when node options are given (a --cpu-prof profile maps through the bundle's source map).
const dir = mkdtempSync(join(tmpdir(), 'weir-tumbling-cpu-'));
try {
  const outfile = join(dir, 'tumbling-cpu.mjs');
  await build({
    entryPoints: [join(here, 'tumbling-cpu.ts')], bundle: true, platform: 'node', format: 'esm', outfile, logLevel: 'error', sourcemap: true,
    plugins: [{ name: 'src', setup(b) { b.onResolve({ filter: /^weir$/ }, () => ({ path: join(src, 'entries/node.ts') })); } }],
  });
  const run = spawnSync(process.execPath, [...nodeOptions, outfile], { stdio: 'inherit' });
  process.exitCode = run.status ?? 1;
} finally {
  if (nodeOptions.length === 0) rmSync(dir, { recursive: true, force: true });
}
