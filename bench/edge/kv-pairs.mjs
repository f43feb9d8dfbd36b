// The Deno KV checkpoint of the edge bench, this build against another (a base worktree with its
// dist/ built), run in turn in fresh Deno processes: per round and mode (warm: the job and the raw
// write once before in the same process; cold: the checkpoint as the first write of its process,
// against a raw write in a fresh process), both builds with THIS tree's bench/edge/kv-state.main.ts,
// so the raw write and the instrumentation are the same. Prints per-round figures and medians;
// never asserts. Run from the repository root after `node scripts/build.mjs`:
//   node bench/edge/kv-pairs.mjs <base worktree> [rounds=6] [modes=warm,cold]
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const [baseRoot, roundsArg, modesArg] = process.argv.slice(2);
if (baseRoot === undefined) throw new Error('usage: node bench/edge/kv-pairs.mjs <base worktree> [rounds] [modes]');
const rounds = Number(roundsArg ?? 6);
const modes = (modesArg ?? 'warm,cold').split(',');
const OUT = resolve('bench-results/.kv-pairs');
const deno = createRequire(resolve('package.json'))('deno/install_api.cjs').runInstall();

/** The bench main bundled beside a snapshot of `root`'s dist/ as node_modules/weir. */
async function bundle(name, root) {
  const dir = join(OUT, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await build({ entryPoints: ['bench/edge/kv-state.main.ts'], outdir: dir, bundle: true, packages: 'external', external: ['weir', 'weir/*'], format: 'esm', platform: 'neutral', target: 'es2022', logLevel: 'error' });
  cpSync(join(root, 'dist'), join(dir, 'node_modules/weir/dist'), { recursive: true });
  cpSync(join(root, 'package.json'), join(dir, 'node_modules/weir/package.json'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, type: 'module' }));
}
await bundle('base', resolve(baseRoot));
await bundle('this', resolve('.'));

function runOne(name, args) {
  const dir = mkdtempSync(join(OUT, 'db-'));
  try {
    const r = spawnSync(deno, ['run', '--unstable-kv', '--no-check', '--allow-read', `--allow-write=${dir}`, join(OUT, name, 'kv-state.main.js'), join(dir, 'kv.sqlite'), '10000', ...args], {
      encoding: 'utf8', env: { ...process.env, DENO_DIR: resolve('.deno-dir'), NO_COLOR: '1' },
    });
    if (r.status !== 0) throw new Error(`${name} ${args.join(' ')}: ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').at(-1));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const rows = [];
for (let round = 0; round < rounds; round++) {
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
  for (const mode of modes) {
    for (const name of round % 2 === 0 ? ['base', 'this'] : ['this', 'base']) {
      const x = runOne(name, mode === 'warm' ? ['warm'] : []);
      const raw = mode === 'warm' ? x.rawMs : runOne('this', [`raw=${x.stateBytes}`]).rawMs;
      rows.push({ round, mode, name, load, ckpt: x.checkpointMs, raw: Math.round(raw), ratio: +(x.checkpointMs / raw).toFixed(2), during: `${x.settledDuringEncoding}/${x.chunkCommits}`, tailMs: Math.round(x.tailMs) });
      console.log(JSON.stringify(rows.at(-1)));
    }
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (const mode of modes) {
  for (const name of ['base', 'this']) {
    const r = rows.filter((x) => x.mode === mode && x.name === name);
    console.log(`${mode} ${name}: checkpoint median ${median(r.map((x) => x.ckpt))} ms, raw median ${median(r.map((x) => x.raw))} ms; ratios ${r.map((x) => x.ratio).join(' ')} (median ${median(r.map((x) => x.ratio))}); chunk commits settled during the encoding ${r.map((x) => x.during).join(' ')}; tail ms ${r.map((x) => x.tailMs).join(' ')} (median ${median(r.map((x) => x.tailMs))})`);
  }
}
