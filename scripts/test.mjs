// The whole `npm test`: type-check, build, compile the Node test files, run them, print one count line.
// Usage: node scripts/test.mjs [--no-typecheck] [path-substring ...]
// CI reads the last line, so it must always be exactly `N passed, N failed`, whatever happens before it.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { run } from 'node:test';
import { fileURLToPath } from 'node:url';
import { findChrome } from './find-chrome.mjs';
import { runBrowserTests } from './run-browser-tests.mjs';
import { e2eTestFiles, runE2eTests } from './run-e2e-tests.mjs';
import { denoTestFiles, runDenoTests } from './run-deno-tests.mjs';
import { runWorkerdTests, workerdTestFiles } from './run-workerd-tests.mjs';
import { countTestRun } from './test-counter.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);

const args = process.argv.slice(2);
const typecheck = !args.includes('--no-typecheck');
const filters = args.filter((a) => !a.startsWith('--'));
const OUT = '.test-build';
// These directories get their own runners (a real browser, Playwright, workerd, Deno), not Node.
const NOT_NODE = ['test/browser/', 'test/e2e/', 'test/workerd/', 'test/deno/'];

const browserFiles = (existsSync('test/browser') ? readdirSync('test/browser', { recursive: true }) : [])
  .map((f) => join('test/browser', f).replaceAll('\\', '/'))
  .filter((f) => f.endsWith('.test.ts'))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
const e2eFiles = e2eTestFiles().filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
const workerdFiles = workerdTestFiles().filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
const denoFiles = denoTestFiles().filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
let browserReady = false; // set once dist/ is built: the later phases all import the built package
/** The architecture check (scripts/check-architecture.mjs) counts as one test; undefined when it did not run. */
let architectureOk;

// The other runtimes' phases, after the Node phase (2 cores: one at a time); their counts join the totals.
async function finish(passed, failed) {
  // workerd (Cloudflare) through Miniflare: a bundled Worker runs jobs in its isolate.
  if (browserReady && workerdFiles.length > 0) {
    console.log(`\n# workerd: ${workerdFiles.length} test file(s), a Worker in workerd (Miniflare)`);
    const workerd = await runWorkerdTests({ files: workerdFiles });
    passed += workerd.passed;
    failed += workerd.failed;
  }
  // Deno, the real binary: jobs in Deno Web Workers and in-process.
  if (browserReady && denoFiles.length > 0) {
    console.log(`\n# deno: ${denoFiles.length} test file(s) with \`deno test\``);
    const deno = await runDenoTests({ files: denoFiles });
    passed += deno.passed;
    failed += deno.failed;
  }
  if (browserReady && browserFiles.length > 0) {
    console.log(`\n# browser: ${browserFiles.length} test file(s) in Chromium (Web Test Runner)`);
    const browser = await runBrowserTests({ files: browserFiles });
    passed += browser.passed;
    failed += browser.failed;
  }
  // The e2e phase last: it packs dist/ into consumer apps (esbuild, Vite) and runs them in Chromium.
  if (browserReady && e2eFiles.length > 0) {
    console.log(`\n# e2e: ${e2eFiles.length} test file(s), consumer apps in Chromium (playwright-core)`);
    const e2e = await runE2eTests({ files: e2eFiles });
    passed += e2e.passed;
    failed += e2e.failed;
  }
  if (architectureOk === true) passed++;
  if (architectureOk === false) failed++;
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}

function step(title, file, fileArgs) {
  console.log(`\n# ${title}`);
  return spawnSync(process.execPath, [file, ...fileArgs], { stdio: 'inherit' }).status === 0;
}

// Find (or, as root on Debian, install) Chromium up front, so a machine without one stops here.
if (browserFiles.length > 0 || e2eFiles.length > 0) {
  try {
    process.env.CHROME_PATH = findChrome();
  } catch (error) {
    console.error(error.message);
    await finish(0, 1);
  }
}

// Layers, platform globals, file sizes, public exports: early, so a violation shows even when a later phase hangs.
// It fails the run, but the other phases still run: one rule broken must not hide the test results.
if (typecheck || filters.includes('check-architecture')) architectureOk = step('architecture', 'scripts/check-architecture.mjs', []);
if (typecheck && !step('typecheck', 'node_modules/typescript/bin/tsc', ['-p', 'tsconfig.json', '--noEmit'])) await finish(0, 1);
// Public-API tests import 'weir', which Node resolves through our own exports map into dist/ (self-reference).
if (!step('build', 'scripts/build.mjs', [])) await finish(0, 1);
browserReady = true;

const sources = readdirSync('test', { recursive: true })
  .map((f) => join('test', f).replaceAll('\\', '/'))
  .filter((f) => f.endsWith('.test.ts') && !NOT_NODE.some((d) => f.startsWith(d)))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();

if (sources.length === 0) {
  if (browserFiles.length === 0 && e2eFiles.length === 0 && workerdFiles.length === 0 && denoFiles.length === 0) console.log(`\nno test files match ${filters.join(' ') || 'test/**/*.test.ts'}`);
  await finish(0, 0); // runs the other phases, if any
}

// Bundling resolves the `.js` specifiers of src/*.ts; bare packages (weir, comlink, idb, rxjs, node:*)
// stay imports so `weir` hits the built dist/, as a consumer would. One build per file, so a file
// that does not compile counts as one failure and the others still run.
console.log(`\n# compile ${sources.length} test file(s)`);
rmSync(OUT, { recursive: true, force: true });
// Job modules (test/**/*.job.ts) are loaded by URL from the compiled tests, as workers load them,
// and programs (test/**/*.main.ts) are started as child processes:
// compile them beside the tests, keeping 'weir' an import of the real package.
// The examples' job modules too (examples/*.job.ts → .test-build/examples/), so tests run the very examples the README shows.
const jobModules = ['test', 'examples'].flatMap((dir) => readdirSync(dir, { recursive: true }).map((f) => join(dir, f).replaceAll('\\', '/')))
  .filter((f) => (f.endsWith('.job.ts') || f.endsWith('.main.ts')) && !NOT_NODE.some((d) => f.startsWith(d)));
if (jobModules.length > 0) {
  await build({
    entryPoints: jobModules, outdir: OUT, outbase: '.', bundle: true, packages: 'external', external: ['weir', 'weir/*'],
    format: 'esm', platform: 'node', target: 'node20', sourcemap: 'inline', logLevel: 'error',
  });
}
const compiled = await Promise.all(sources.map((source) =>
  build({
    entryPoints: [source],
    outdir: OUT,
    outbase: '.',
    bundle: true,
    packages: 'external',
    // tsconfig.json maps 'weir' to src/ for type-checking; the built tests must import the real package (dist/).
    external: ['weir', 'weir/*'],
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'inline',
    logLevel: 'error', // prints the compile errors
  }).then(() => resolve(OUT, source.replace(/\.ts$/, '.js')), () => null)));
const files = compiled.filter(Boolean);
const compileFailures = compiled.length - files.length;
if (files.length === 0) await finish(0, compileFailures);

// run() on Node 20 has no execArgv option; the test processes inherit NODE_OPTIONS instead.
process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --enable-source-maps`.trim();
// Per file: a guard against a hang, not a speed limit. node/workers.test.ts (30 worker restarts) took
// 4 min under load average ~18 on 2 cores; 10 minutes leaves it room.
const stream = run({ files, concurrency: 2, timeout: 10 * 60_000 });

const counted = await countTestRun(stream);
await finish(counted.passed, counted.failed + compileFailures);
