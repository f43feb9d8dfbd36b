// End to end: the packed package (`npm pack`) installed in a consumer app, bundled by esbuild and by
// Vite as the README shows, served over HTTP and run in Chromium: a job module in two Web Workers
// (checkpointing on, IndexedDB storage), its committed table shown in the page.
// The app is test/e2e/fixtures/consumer-app; screenshots go to test-artifacts/e2e-*.png.
// Run by scripts/run-e2e-tests.mjs (a phase of `npm test`), from the repository root, dist/ built.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { makeConsumerApp, openApp, packRepo, repoRoot, serveStatic, viteBuild, viteDev, type PageRun } from './harness.js';

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
// sum.job.ts sums 1..1000 by parity.
const EXPECTED_ROWS = [{ parity: 'even', total: 250_500 }, { parity: 'odd', total: 250_000 }];

const root = repoRoot();
const artifacts = join(root, 'test-artifacts');
let work: string;
let tarball: string;
let browser: Browser;
let apps = 0;

function newApp(): string {
  return makeConsumerApp(root, tarball, join(work, `app-${++apps}`));
}

/** The app ran its job in workers and showed the expected table, with no console error. */
function assertAppWorked(run: PageRun, what: string): void {
  assert.equal(run.title, 'done', `${what}: the app did not finish:\n${run.result}\n${run.problems.join('\n')}`);
  const report = JSON.parse(run.result) as { status: string; restarts: number; rows: unknown; workerScripts: string[] };
  assert.equal(report.status, 'finished');
  assert.equal(report.restarts, 0);
  assert.deepEqual(report.rows, EXPECTED_ROWS, `${what}: the committed table`);
  assert.ok(run.workers.length >= 2, `${what}: at least 2 workers started (parallelism 2), saw ${JSON.stringify(run.workers)}`);
  for (const w of run.workers) assert.match(w, /weir-worker/, `${what}: every worker runs the library's worker script`);
  assert.ok(report.workerScripts.length >= 1, `${what}: the page loaded weir-worker (resource timing)`);
  assert.deepEqual(run.problems, [], `${what}: no console error, page error or failed request`);
}

async function bundleWithEsbuild(app: string, options: { splitting: boolean; workerEntry?: boolean }): Promise<string[]> {
  const result = await build({
    absWorkingDir: app,
    entryPoints: [
      'src/app.ts',
      { in: 'src/sum.job.ts', out: 'sum.job' },
      ...(options.workerEntry === false ? [] : [{ in: 'weir/worker', out: 'weir-worker' }]), // the README's line
    ],
    bundle: true,
    format: 'esm',
    splitting: options.splitting,
    outdir: 'dist',
    metafile: true,
    logLevel: 'silent',
  });
  const html = readFileSync(join(app, 'index.html'), 'utf8').replace('./src/app.ts', './app.js');
  writeFileSync(join(app, 'dist/index.html'), html);
  return Object.keys(result.metafile.outputs).map((f) => f.replace(/^dist\//, ''));
}

async function serveAndOpen(dir: string, name: string): Promise<PageRun> {
  const server = await serveStatic(dir);
  try {
    return await openApp(browser, server.url, join(artifacts, `e2e-${name}.png`));
  } finally {
    await server.close();
  }
}

function timing(t: TestContext, parts: Record<string, number>): void {
  t.diagnostic(Object.entries(parts).map(([k, ms]) => `${k} ${ms} ms`).join(', '));
}

describe('consumer apps: the packed package, bundled, running workers in Chromium', () => {
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'weir-e2e-'));
    tarball = packRepo(root, work);
    browser = await chromium.launch({ executablePath: process.env.CHROME_PATH || '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  for (const splitting of [true, false]) {
    it(`esbuild (splitting: ${splitting}) with the entry { in: 'weir/worker', out: 'weir-worker' }`, async (t) => {
      const app = newApp();
      const t0 = Date.now();
      const outputs = await bundleWithEsbuild(app, { splitting });
      const built = Date.now() - t0;
      for (const f of ['app.js', 'sum.job.js', 'weir-worker.js']) assert.ok(outputs.includes(f), `esbuild emitted ${f}: ${outputs.join(', ')}`);
      const page = await serveAndOpen(join(app, 'dist'), `esbuild-${splitting ? 'splitting' : 'no-splitting'}`);
      timing(t, { build: built, page: page.ms });
      assertAppWorked(page, `esbuild, splitting ${splitting}`);
    });
  }

  it("esbuild without the weir/worker entry fails fast with a worker error (why the README's line is needed)", async () => {
    const app = newApp();
    await bundleWithEsbuild(app, { splitting: true, workerEntry: false });
    const page = await serveAndOpen(join(app, 'dist'), 'esbuild-no-worker-entry');
    assert.equal(page.title, 'error', `the app should fail, not finish or hang:\n${page.result}`);
    assert.match(page.result, /worker/i);
    assert.ok(page.failedResponses.some((r) => /^404 .*\/weir-worker\.js$/.test(r)), `a 404 for weir-worker.js: ${page.failedResponses.join(', ')}`);
  });

  it('vite build with build.rolldownOptions { input: index.html + the job module, preserveEntrySignatures, entryFileNames }', async (t) => {
    const app = newApp();
    const t0 = Date.now();
    viteBuild(root, app);
    const built = Date.now() - t0;
    assert.ok(existsSync(join(app, 'dist/assets/sum.job.js')), 'Vite emitted the job module unhashed as dist/assets/sum.job.js');
    assert.match(readFileSync(join(app, 'dist/assets/sum.job.js'), 'utf8'), /export\s*\{/, 'the job module keeps its default export');
    const page = await serveAndOpen(join(app, 'dist'), 'vite-build');
    timing(t, { build: built, page: page.ms });
    assertAppWorked(page, 'vite build');
  });

  it('vite dev server (no extra configuration)', async (t) => {
    const app = newApp();
    const t0 = Date.now();
    const server = await viteDev(root, app);
    const started = Date.now() - t0;
    try {
      const page = await openApp(browser, server.url, join(artifacts, 'e2e-vite-dev.png'));
      timing(t, { 'server start': started, page: page.ms });
      assertAppWorked(page, `vite dev\n${server.output()}`);
    } finally {
      await server.close();
    }
  });

  it("the app type-checks against the packed package's declarations (tsc, moduleResolution bundler, weir's .d.ts checked)", (t) => {
    const app = newApp();
    const t0 = Date.now();
    const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: app, encoding: 'utf8' });
    timing(t, { tsc: Date.now() - t0 });
    assert.equal(tsc.status, 0, `tsc failed:\n${tsc.stdout}${tsc.stderr}`);
  });
});
