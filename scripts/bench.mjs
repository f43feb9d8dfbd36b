// The whole `npm run bench`: build the package, bundle every bench/*.bench.ts, run each in a fresh
// Node process, one after another (never in parallel: they would share the CPUs they measure).
// Usage: node scripts/bench.mjs [--cpu-prof] [name-substring ...]
//   --cpu-prof  also write V8 CPU profiles per benchmark to bench-results/profiles/<bench>-<time>/
//               (one per thread: worker_threads are profiled too) and print the top self-time
//               functions (mapped to src/) of the main thread and of the other threads merged;
//               WEIR_BENCH_ONLY=<variant id> narrows it
// Benchmarks print their numbers and save JSON to bench-results/ (gitignored); they never assert.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);

const args = process.argv.slice(2);
const cpuProf = args.includes('--cpu-prof');
const unknown = args.filter((a) => a.startsWith('--') && a !== '--cpu-prof');
if (unknown.length > 0) {
  console.error(`bench: unknown option ${unknown.join(' ')} (usage: node scripts/bench.mjs [--cpu-prof] [name-substring ...])`);
  process.exit(2);
}
const filters = args.filter((a) => !a.startsWith('--'));
const RESULTS = 'bench-results';
// Inside bench-results/ (gitignored), one folder per `npm run bench` process: another run started
// meanwhile on this machine must not delete the job modules and worker scripts this one loads by
// URL. `weir` resolves to a snapshot of dist/ in OUT/node_modules (below).
const BUILDS = join(RESULTS, '.build');
const OUT = join(BUILDS, `run-${process.pid}`);

const benches = readdirSync('bench')
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (benches.length === 0) {
  console.error(`bench: no bench/*.bench.ts matches ${filters.join(' ')}`);
  process.exit(1);
}

console.log('# build');
if (spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' }).status !== 0) {
  console.error('bench: the build failed');
  process.exit(1);
}

// Bundled like the tests: bench/ helpers are inlined, bare packages (weir, rxjs, node:*) stay
// imports, so `weir` is the built dist/ as a consumer would load it. `weir` is named external
// explicitly: otherwise esbuild follows tsconfig.json's `paths` and inlines src/index.ts.
rmSync(OUT, { recursive: true, force: true });
// Folders of runs whose process is gone (and whatever an older bench.mjs left at the top level).
for (const entry of existsSync(BUILDS) ? readdirSync(BUILDS) : []) {
  const pid = /^run-(\d+)$/.exec(entry)?.[1];
  if (pid !== undefined && pidAlive(Number(pid))) continue;
  rmSync(join(BUILDS, entry), { recursive: true, force: true });
}
// Node bundles whose 'weir' stays an import of the built package (not tsconfig's path to src/).
const nodeBundle = {
  outdir: OUT, bundle: true, packages: 'external', external: ['weir', 'weir/*'],
  format: 'esm', platform: 'node', target: 'node20', sourcemap: 'linked', logLevel: 'error',
};
try {
  await build({ ...nodeBundle, entryPoints: benches.map((f) => `bench/${f}`) });
} catch {
  console.error('bench: compiling bench/*.bench.ts failed');
  process.exit(1);
}

// Job modules (bench/**/*.job.ts) and worker scripts (bench/*.worker.ts) are loaded by URL from the
// compiled benches, as workers load them: compiled beside them (same layout under OUT), 'weir'
// kept an import of the built package. bench/chromium/ and bench/idb/ are bundled for the browser
// by their own benches (workers-chromium, checkpoint-idb).
const byUrl = readdirSync('bench', { recursive: true })
  .map((f) => join('bench', f).replaceAll('\\', '/'))
  .filter((f) => !f.startsWith('bench/chromium/') && !f.startsWith('bench/idb/'))
  .filter((f) => f.endsWith('.job.ts') || /^bench\/[^/]+\.worker\.ts$/.test(f));
if (byUrl.length > 0) {
  try {
    await build({ ...nodeBundle, entryPoints: byUrl, outbase: 'bench' });
  } catch {
    console.error('bench: compiling bench/**/*.job.ts and bench/*.worker.ts failed');
    process.exit(1);
  }
}

/**
 * Node writes one profile per thread with --cpu-prof (worker_threads too; --cpu-prof-name would make
 * them overwrite each other, so none is given): CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile,
 * thread 0 being the main thread. Merges the profiles of every other thread into one file (nodes
 * renumbered, samples concatenated), so their top self time reads as one; returns its path.
 */
function mergeThreadProfiles(dir, files) {
  const merged = { nodes: [], startTime: Infinity, endTime: 0, samples: [], timeDeltas: [] };
  let offset = 0;
  for (const f of files) {
    const p = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    let maxId = 0;
    for (const n of p.nodes) {
      maxId = Math.max(maxId, n.id);
      merged.nodes.push({ ...n, id: n.id + offset, ...(n.children ? { children: n.children.map((c) => c + offset) } : {}) });
    }
    for (const s of p.samples) merged.samples.push(s + offset);
    for (const d of p.timeDeltas) merged.timeDeltas.push(d);
    merged.startTime = Math.min(merged.startTime, p.startTime);
    merged.endTime = Math.max(merged.endTime, p.endTime);
    offset += maxId + 1;
  }
  const out = join(dir, 'other-threads-merged.cpuprofile');
  writeFileSync(out, JSON.stringify(merged));
  return out;
}

// A snapshot of the package as just built, which the benches import instead of dist/ itself:
// others on this machine may rebuild dist/ (npm test) while a benchmark runs, and a worker started
// mid-rebuild would not find its files. OUT/package.json (no name) ends the self-reference to
// the repository's package, so `weir` resolves to OUT/node_modules/weir; anything else
// (rxjs, comlink, idb) still resolves from the repository's node_modules.
cpSync('dist', join(OUT, 'node_modules/weir/dist'), { recursive: true });
cpSync('package.json', join(OUT, 'node_modules/weir/package.json'));
writeFileSync(join(OUT, 'package.json'), `${JSON.stringify({ private: true, type: 'module' })}\n`);

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

let failures = 0;
for (const file of benches) {
  const name = basename(file, '.ts');
  console.log(`\n# ${name}`);
  const nodeArgs = ['--expose-gc', '--enable-source-maps'];
  const profileDir = join(RESULTS, 'profiles', `${name}-${Date.now()}`);
  if (cpuProf) {
    mkdirSync(profileDir, { recursive: true });
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`);
  }
  const result = spawnSync(process.execPath, [...nodeArgs, resolve(OUT, `${name}.js`)], {
    stdio: 'inherit',
    env: { ...process.env, WEIR_BENCH_OUT: RESULTS },
  });
  if (result.status !== 0) {
    failures++;
    console.error(`bench: ${name} exited with ${result.status ?? result.signal}`);
  }
  if (cpuProf) {
    // Read now: the source maps of dist/ must match the build this profile ran.
    const { cpuProfileTop } = await import('../bench/tools/cpu-profile-top.mjs');
    const files = readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile')).sort();
    const main = files.filter((f) => f.split('.')[4] === '0');
    const others = files.filter((f) => !main.includes(f));
    const tops = main.map((f) => ({ title: 'main thread', path: join(profileDir, f) }));
    try {
      if (others.length > 0) tops.push({ title: `${others.length} other threads (workers) merged`, path: mergeThreadProfiles(profileDir, others) });
    } catch (error) {
      console.error(`bench: could not merge the worker profiles in ${profileDir}: ${error instanceof Error ? error.message : String(error)}`);
    }
    for (const { title, path } of tops) {
      console.log(`\n# ${name}: top self time, ${title} (${path})`);
      try {
        for (const line of cpuProfileTop(path, 25)) console.log(line);
      } catch (error) {
        console.error(`bench: could not read the profile ${path}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}
// Kept with --cpu-prof: the profiles' source maps point into it.
if (!cpuProf) rmSync(OUT, { recursive: true, force: true });
process.exit(failures === 0 ? 0 : 1);
