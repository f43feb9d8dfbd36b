// The worker benchmark in Chromium (Web Workers): the same variants as bench/workers.bench.ts, run
// inside a page. This driver bundles bench/chromium/ with esbuild against the built package (the
// README's esbuild entries: app + job module + { in: 'weir/worker', out: 'weir-worker' }, plus the
// raw ceiling's bare worker), serves it on 127.0.0.1, opens it in Chromium with playwright-core,
// and calls the page one run at a time; rounds, budget and tables are the Node bench's
// (bench/workers-report.ts). CPU time is the renderer processes' (CDP SystemInfo.getProcessInfo);
// memory under the slow sink is the page's renderer RSS (/proc) and each worker's JS heap, from
// performance.measureUserAgentSpecificMemory() in a cross-origin isolated copy of the page (/iso/,
// served with COOP/COEP; the throughput runs use the plain page, as an app would). Prints numbers;
// asserts nothing.
//
// Env: as bench/workers.bench.ts (WEIR_BENCH_RECORDS default 2 000 000, WEIR_BENCH_ROUNDS 3,
// WEIR_BENCH_BUDGET_S 45, WEIR_BENCH_ONLY, WEIR_BENCH_SLOW_RECORDS 150 000), CHROME_PATH.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { WeirBenchPage } from './chromium/app.js';
import { bundlePage, CHROMIUM_ARGS, exposeRendererCpu, serve, weirFrom } from './chromium-driver.js';
import { envInt, loadAverage, machine } from './harness.js';
import {
  CHECKPOINTS, finishBench, measureRounds, packingNote, printMemory, RATIO_DEFS, summarizeMemory, uptime,
  type MemoryReport, type Variant,
} from './workers-report.js';
import type { RawMode, Sample } from './workers-shared.js';

const envCount = (name: string, fallback: number): number => (process.env[name] === '0' ? 0 : envInt(name, fallback));

const RECORDS = envInt('WEIR_BENCH_RECORDS', 2_000_000);
const ROUNDS = envInt('WEIR_BENCH_ROUNDS', 3);
const BUDGET_MS = envInt('WEIR_BENCH_BUDGET_S', 45) * 1000;
const SLOW_RECORDS = envCount('WEIR_BENCH_SLOW_RECORDS', 150_000);
const PACKED_FACTOR = 2;
const WARMUP_RECORDS = Math.min(RECORDS, 200_000);
const BATCH = 1024;
const CREDITS = 4;
const PARALLELISM = 2;

const root = process.cwd();
if (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).name !== 'weir') {
  console.error(`run the benchmarks from the weir repository root (npm run bench); cwd is ${root}`);
  process.exit(1);
}
// Beside this compiled bench, in scripts/bench.mjs's per-run folder, which also holds the snapshot
// of the built package (node_modules/weir) the page is bundled from: dist/ itself may be rebuilt
// by someone's `npm test` meanwhile.
const HERE = fileURLToPath(new URL('.', import.meta.url));
const OUT = join(HERE, 'chromium');
const SNAPSHOT = existsSync(join(HERE, 'node_modules/weir/dist/browser.js')) ? HERE : undefined;

/** The page, bundled as a consumer app would be: `weir` is the built dist/ (self-reference, browser condition). */
async function buildPage(): Promise<void> {
  await bundlePage(root, OUT, [
    { in: 'bench/chromium/app.ts', out: 'app' },
    { in: 'bench/jobs/exchange.job.ts', out: 'exchange.job' },
    { in: 'weir/worker', out: 'weir-worker' },
    { in: 'bench/chromium/raw-worker.ts', out: 'raw-worker' },
  ], weirFrom(SNAPSHOT));
}

const m = machine();
const loadAtStart = loadAverage();
const uptimeAtStart = uptime();
console.log(`workers in Chromium: ${RECORDS.toLocaleString('en-US')} records per run (packed raw: ×${PACKED_FACTOR}), ${PARALLELISM} Web Workers, batches of ${BATCH}, credits ${CREDITS}; ${ROUNDS} rounds (+1 warm-up of ${WARMUP_RECORDS.toLocaleString('en-US')})`);
console.log(`machine: ${m.os}; ${m.cpu} × ${m.cpus}; ${m.memoryGB} GB; ${uptimeAtStart}`);
console.log(packingNote(readFileSync(join(SNAPSHOT ?? root, SNAPSHOT === undefined ? 'dist/weir-worker.js' : 'node_modules/weir/dist/weir-worker.js'), 'utf8')));
console.log('rec/s counts from the job deployed (run() resolved) or the raw producer told to go, to the last record; startup is shown apart');
console.log('in Weir\'s workers about half of the records cross a MessagePort (keyBy sends each key to one of the 2 workers); in the raw runs every record does');

const benchStarted = performance.now();
const errors: string[] = [];
let browser: Browser | undefined;
let server: { url: string; close(): Promise<void> } | undefined;
let exitCode = 0;
try {
  const t0 = performance.now();
  await buildPage();
  // scripts/find-chrome.mjs, as `npm test` uses it: CHROME_PATH, the usual paths, or Debian's chromium installed.
  const { findChrome } = (await import(pathToFileURL(join(root, 'scripts/find-chrome.mjs')).href)) as { findChrome(): string };
  const executablePath = findChrome();
  browser = await chromium.launch({ executablePath, args: [...CHROMIUM_ARGS, '--enable-blink-features=ForceEagerMeasureMemory'] });
  console.log(`chromium ${browser.version()} (${executablePath}); page built in ${(performance.now() - t0).toFixed(0)} ms from ${SNAPSHOT === undefined ? "dist/" : "the run's snapshot of dist/"}`);
  server = await serve(OUT);
  const cdp = await browser.newBrowserCDPSession();
  const context = await browser.newContext();
  const page: Page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });

  // CPU: the sum over renderer processes (the page's, with its workers, does nearly all of it).
  const cpu = await exposeRendererCpu(page, cdp);
  if (!cpu.available) console.log('no CPU time: CDP SystemInfo.getProcessInfo failed');
  await page.goto(server.url);
  await page.waitForFunction(() => document.title === 'ready', undefined, { timeout: 30_000 });

  let runs = 0;
  const weirVariant = (workers: boolean, binary: boolean, ckpt: (typeof CHECKPOINTS)[number], parallelism = PARALLELISM, pooled = false): Variant => {
    const id = workers ? (pooled ? `w-pool-${ckpt.id}` : `w-${binary ? 'bin' : 'clone'}-${ckpt.id}`) : parallelism === 1 ? `ip1-${ckpt.id}` : `ip-${ckpt.id}`;
    return {
      id,
      label: workers ? `Weir 2 ${pooled ? 'pooled (warm) ' : ''}Web Workers, ${binary ? 'binary' : 'clone'}, ${ckpt.label}` : parallelism === 1 ? `Weir one thread (page) p1, ${ckpt.label}` : `Weir in-page p2, ${ckpt.label}`,
      warmup: !workers || id === 'w-bin-off' || pooled,
      run: (tag, warmup) => page.evaluate(
        (spec) => (globalThis as unknown as { weirBench: WeirBenchPage }).weirBench.weir(spec),
        { name: `bench-${id}-${tag}-${++runs}`, records: warmup ? WARMUP_RECORDS : RECORDS, workers, parallelism, intervalMs: ckpt.intervalMs, binary, pooled },
      ),
    };
  };
  const rawVariant = (mode: RawMode, label: string): Variant => ({
    id: `raw-${mode}`,
    label,
    run: (_tag, warmup): Promise<Sample> => page.evaluate(
      ([mode, records, batch, window]) => (globalThis as unknown as { weirBench: WeirBenchPage }).weirBench.raw(mode, records, batch, window),
      [mode, (warmup ? WARMUP_RECORDS : RECORDS) * (mode === 'clone' ? 1 : PACKED_FACTOR), BATCH, CREDITS] as const,
    ),
  });
  const ALL: Variant[] = [
    ...CHECKPOINTS.map((c) => weirVariant(true, true, c)),
    ...CHECKPOINTS.map((c) => weirVariant(true, false, c)),
    weirVariant(false, true, CHECKPOINTS[0]!),
    weirVariant(false, true, CHECKPOINTS[1]!, 1),
    weirVariant(true, true, CHECKPOINTS[1]!, PARALLELISM, true),
    rawVariant('clone', 'raw MessageChannel, arrays of 1024 (clone)'),
    rawVariant('packed', 'raw, packed 24 B/record, transferred'),
    rawVariant('codec', 'raw, Weir batch-codec, transferred'),
  ];
  // Diagnostics of the codec as Weir's channels use it; only when named in WEIR_BENCH_ONLY.
  const DIAGNOSTIC: Variant[] = [
    rawVariant('codec-fresh', 'raw, Weir batch-codec, a fresh buffer per batch'),
    rawVariant('codec-keyed', 'raw, Weir batch-codec + keys and key groups'),
    rawVariant('codec-keyed-fresh', 'raw, Weir batch-codec + keys, key groups, fresh buffers'),
  ];
  const only = (process.env.WEIR_BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const variants = only.length > 0 ? [...ALL, ...DIAGNOSTIC].filter((v) => only.includes(v.id)) : ALL;
  if (variants.length === 0) throw new Error(`WEIR_BENCH_ONLY=${process.env.WEIR_BENCH_ONLY} matches no variant; ids: ${[...ALL, ...DIAGNOSTIC].map((v) => v.id).join(', ')}`);

  const { rounds, summary, ratioList } = await measureRounds(
    variants, { rounds: ROUNDS, minRounds: Math.min(3, ROUNDS), budgetMs: BUDGET_MS, warmup: true }, RATIO_DEFS, 'rec/CPU-s (renderers)', errors,
  );

  let memory: MemoryReport | undefined;
  if (SLOW_RECORDS > 0 && only.length === 0) {
    console.log('');
    const sinkBusyUs = 20;
    await page.goto(`${server.url}iso/`);
    await page.waitForFunction(() => document.title === 'ready', undefined, { timeout: 30_000 });
    const slow = await page.evaluate(
      ([name, records, busy]) => (globalThis as unknown as { weirBench: WeirBenchPage }).weirBench.slow(name, records, busy),
      [`bench-slow-${Date.now()}`, SLOW_RECORDS, sinkBusyUs] as const,
    );
    memory = summarizeMemory({ records: SLOW_RECORDS, sinkBusyUs, batchSize: BATCH, credits: CREDITS, ms: slow.ms, points: slow.points, ...(slow.error !== undefined ? { error: slow.error } : {}) }, PARALLELISM);
    printMemory(memory, `renderer RSS (pid ${cpu.pagePid() ?? '?'}: page + its workers)`, 'JS heap (measureUserAgentSpecificMemory; the two workers by size, smaller first)');
    if (!slow.heapMeasured) console.log(`  worker heaps: not measured (cross-origin isolated: ${slow.isolated}; measureUserAgentSpecificMemory unavailable or failed)`);
  }
  for (const p of problems) errors.push(p);

  finishBench({ name: 'workers-chromium', machine: m, startedAt: benchStarted, loadAtStart, uptimeAtStart, errors }, {
    chromium: browser.version(),
    records: RECORDS,
    packedFactor: PACKED_FACTOR,
    batch: BATCH,
    credits: CREDITS,
    rounds,
    variants: summary,
    ratios: ratioList,
    memory,
  });
} catch (e) {
  console.error(`workers-chromium: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  exitCode = 1;
} finally {
  await browser?.close();
  await server?.close();
}
process.exit(exitCode);
