// The whole `npm run bench`: build the package, bundle every bench/*.bench.ts, run each in a fresh
// Node process, one after another (never in parallel: they would share the CPUs they measure).
// Usage: node scripts/bench.mjs [--cpu-prof] [name-substring ...]
//   --cpu-prof  also write a V8 CPU profile per benchmark to bench-results/profiles/ and print its
//               top self-time functions (mapped to src/); WEIR_BENCH_ONLY=<variant id> narrows it
// Benchmarks print their numbers and save JSON to bench-results/ (gitignored); they never assert.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
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
// Inside bench-results/ (gitignored), and inside the package, so `weir` resolves to dist/ by self-reference.
const OUT = join(RESULTS, '.build');

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
try {
  await build({
    entryPoints: benches.map((f) => `bench/${f}`),
    outdir: OUT,
    bundle: true,
    packages: 'external',
    external: ['weir', 'weir/*'],
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'error',
  });
} catch {
  console.error('bench: compiling bench/*.bench.ts failed');
  process.exit(1);
}

let failures = 0;
for (const file of benches) {
  const name = basename(file, '.ts');
  console.log(`\n# ${name}`);
  const nodeArgs = ['--expose-gc', '--enable-source-maps'];
  const profile = join(RESULTS, 'profiles', `${name}-${Date.now()}.cpuprofile`);
  if (cpuProf) {
    mkdirSync(join(RESULTS, 'profiles'), { recursive: true });
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${join(RESULTS, 'profiles')}`, `--cpu-prof-name=${basename(profile)}`);
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
    console.log(`\n# ${name}: top self time (${profile})`);
    try {
      for (const line of cpuProfileTop(profile, 25)) console.log(line);
    } catch (error) {
      console.error(`bench: could not read the profile ${profile}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
process.exit(failures === 0 ? 0 : 1);
