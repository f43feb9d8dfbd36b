// Runs the Deno suites (test/deno/**/*.test.ts) with the real Deno binary, from the npm package
// `deno` (TOOLCHAIN.md §5): compiles them and their job modules to .test-build/deno/ (bare imports
// such as 'weir' and node:test stay imports, so Deno resolves 'weir' to the built package through
// its exports map), then `deno test` on them, with DENO_DIR=.deno-dir so Deno's cache stays here.
// Usage: node scripts/run-deno-tests.mjs [test file ...]   (exits 0 when all passed)
// scripts/test.mjs imports runDenoTests() and adds the counts to its own. dist/ must be built first.
import { build } from 'esbuild';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const OUT = '.test-build/deno';
const TIMEOUT_MS = 5 * 60_000; // the whole `deno test` run, a guard against a hang: it takes about 30 s, minutes on a loaded machine

const listTs = (dir) => (existsSync(join(root, dir)) ? readdirSync(join(root, dir), { recursive: true }) : [])
  .map((f) => join(dir, f).replaceAll('\\', '/'));

/** Every Deno test file, sorted. */
export function denoTestFiles() {
  return listTs('test/deno').filter((f) => f.endsWith('.test.ts')).sort();
}

/**
 * The Deno binary of the npm package `deno` (its optional dependency @deno/<platform> holds it) and
 * its version; throws with what to do when it is missing or does not start.
 */
export function findDeno() {
  let binary;
  try {
    binary = createRequire(join(root, 'package.json'))('deno/install_api.cjs').runInstall(); // what the package's own bin does
  } catch (error) {
    throw new Error(`the Deno binary is not installed (${error.message.trim().split('\n')[0]}). It comes from the devDependency deno and its optional dependency @deno/<platform>: run \`npm ci\` (without --omit=optional)`);
  }
  const version = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  if (version.status !== 0) throw new Error(`${binary} --version failed: ${version.error?.message ?? version.stderr}`);
  return { binary, version: version.stdout.split('\n')[0] };
}

/** Deno's closing line: `ok | 4 passed | 0 failed (9s)` or `FAILED | 3 passed | 1 failed (9s)` (steps in parentheses). */
export function parseDenoSummary(output) {
  const lines = output.replace(/\x1b\[[0-9;]*m/g, '').split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^(?:ok|FAILED) \| (\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed/.exec(lines[i]);
    if (m) return { passed: Number(m[1]), failed: Number(m[2]) };
  }
  return undefined;
}

/**
 * Compiles and runs `files` (default: all) with `deno test`. Never throws: a missing Deno, a file
 * that does not compile, a run that ends without Deno's summary or exits non-zero with no failed
 * test counts as a failure.
 * @param {{ files?: string[] }} [options]
 * @returns {Promise<{ passed: number, failed: number }>}
 */
export async function runDenoTests({ files = denoTestFiles() } = {}) {
  process.chdir(root);
  let deno;
  try {
    deno = findDeno();
    console.log(deno.version);
  } catch (error) {
    console.error(`run-deno-tests: ${error.message}`);
    return { passed: 0, failed: 1 };
  }
  if (!existsSync('dist/deno.js') || !existsSync('dist/weir-worker.js')) {
    console.error('run-deno-tests: dist/ is not built; run `npm run build` first (npm test does)');
    return { passed: 0, failed: 1 };
  }

  // Job modules are loaded by URL in every worker, and programs (*.main.ts, the Deno example) started as processes:
  // compiled beside the tests, as in the Node phase.
  rmSync(OUT, { recursive: true, force: true });
  const jobModules = [...listTs('test/deno'), ...listTs('examples')]
    .filter((f) => f.endsWith('.job.ts') || (f.startsWith('test/deno/') && f.endsWith('.main.ts')) || f === 'examples/deno/app.ts');
  const compile = (entryPoints) => build({
    entryPoints, outdir: OUT, outbase: '.', bundle: true, packages: 'external', external: ['weir', 'weir/*'],
    format: 'esm', platform: 'neutral', target: 'es2022', sourcemap: 'inline', logLevel: 'error',
  }).then(() => true, () => false);
  if (!(await compile(jobModules))) return { passed: 0, failed: 1 };
  const compiled = await Promise.all(files.map(async (f) => ((await compile([f])) ? join(OUT, f.replace(/\.ts$/, '.js')) : null)));
  const runnable = compiled.filter(Boolean);
  const compileFailures = compiled.length - runnable.length;
  if (runnable.length === 0) return { passed: 0, failed: compileFailures };

  // --allow-read: Deno loads the job modules and dist/weir-worker.js from files. --allow-write on
  // .test-build/deno only: the { dir } storage test's folder. --allow-sys=hostname: the file
  // storage's lock records its holder's host. --unstable-kv: Deno.openKv (Deno KV storage, on files
  // in .test-build/deno). --allow-run of the Deno binary only: tests start Deno programs and kill
  // them (SIGKILL). --allow-net=127.0.0.1: they talk to the Deno example app. Nothing else is granted.
  // --no-check: the typecheck phase checks these sources. Deno would check the compiled .js against
  // dist/index.d.ts and fail: for this package's self-reference it treats dist/ as local modules, and
  // does not map the .d.ts files' './api/index.js' imports to .d.ts as it does for a package in
  // node_modules (`deno check` passes in a consumer with weir installed from `npm pack`).
  // The savepoint matrix leaves its artifacts for later phases (and, with WEIR_WRITE_MATRIX=1, as fixtures).
  const matrix = [join(root, '.test-build/savepoint-matrix'), ...(process.env.WEIR_WRITE_MATRIX === '1' ? [join(root, 'test/fixtures/savepoints/matrix')] : [])];
  const child = spawn(deno.binary, ['test', '--unstable-kv', '--allow-read', `--allow-write=${[join(root, OUT), ...matrix].join(',')}`, '--allow-env=WEIR_WRITE_MATRIX', `--allow-run=${deno.binary}`, '--allow-net=127.0.0.1', '--allow-sys=hostname', '--no-check', '--no-prompt', ...runnable], {
    env: { ...process.env, DENO_DIR: join(root, '.deno-dir'), NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const tee = (stream, to) => stream.on('data', (chunk) => {
    output += chunk;
    to.write(chunk);
  });
  tee(child.stdout, process.stdout);
  tee(child.stderr, process.stderr);
  const timer = setTimeout(() => {
    console.error(`run-deno-tests: deno test did not finish within ${TIMEOUT_MS / 1000} s; killing it`);
    child.kill('SIGKILL');
  }, TIMEOUT_MS);
  const code = await new Promise((resolve) => child.on('close', (c, signal) => resolve(c ?? signal)));
  clearTimeout(timer);

  const summary = parseDenoSummary(output);
  if (summary === undefined) {
    console.error(`run-deno-tests: deno test exited with ${code} and no summary line`);
    return { passed: 0, failed: compileFailures + 1 };
  }
  const exitedBadly = code !== 0 && summary.failed === 0 ? 1 : 0;
  if (exitedBadly) console.error(`run-deno-tests: deno test exited with ${code} though no test failed`);
  return { passed: summary.passed, failed: summary.failed + compileFailures + exitedBadly };
}

if (process.argv[1] && existsSync(process.argv[1]) && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const { passed, failed } = await runDenoTests(args.length > 0 ? { files: args } : {});
  console.log(`deno: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}
