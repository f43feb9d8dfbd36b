// Nexmark: the standard generator (persons, auctions, bids; bench/nexmark/generator.ts) as a Weir
// source, queries q0, q1, q2, q5 and q7 (bench/nexmark/queries.ts), exactly-once with checkpoints
// every 1 s, in this thread (parallelism 1), in 2 Node worker_threads and in 2 Chromium Web Workers
// (parallelism 2), beside a straightforward reference implementation of each query on the same
// events, measured in the same run. Every run's output digest is checked against the reference's;
// a mismatch is printed as WRONG (a fast wrong answer counts for nothing).
//
// Prints events per second of CPU time (all threads of this process, or Chromium's renderers) —
// events/s per core, Nexmark's own measure — next to Flink's published per-core figures.
// Asserts nothing.
//
// Env: WEIR_BENCH_EVENTS (default 1 000 000 per run), WEIR_BENCH_ROUNDS (3), WEIR_BENCH_BUDGET_S
// (240), WEIR_BENCH_QUERIES (e.g. q5,q7), WEIR_BENCH_TARGETS (in-process,workers,chromium,reference),
// WEIR_BENCH_ONLY (variant ids, e.g. ip-q5), CHROME_PATH.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { bundlePage, CHROMIUM_ARGS, exposeRendererCpu, serve, weirFrom } from './chromium-driver.js';
import { envInt, formatRate, formatRatio, loadAverage, machine, printTable } from './harness.js';
import { DEFAULT_EVENTS_PER_SECOND } from './nexmark/generator.js';
import type { NexmarkBenchPage } from './nexmark/page.js';
import { compareDigests, QUERIES, referenceDigest, type Digest, type Query } from './nexmark/queries.js';
import { runNexmarkOnce, type NexmarkSample } from './nexmark/run-once.js';
import { finishBench, measureRounds, uptime, type RatioDef, type Variant } from './workers-report.js';
import type { BenchClock, Sample } from './workers-shared.js';

const EVENTS = envInt('WEIR_BENCH_EVENTS', 1_000_000);
const ROUNDS = envInt('WEIR_BENCH_ROUNDS', 3);
const BUDGET_MS = envInt('WEIR_BENCH_BUDGET_S', 240) * 1000;
const WARMUP_EVENTS = Math.min(EVENTS, 100_000);
const INTERVAL_MS = 1000;
const WORKERS = 2;
const RATE = DEFAULT_EVENTS_PER_SECOND;

const list = (name: string, all: readonly string[]): string[] => {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return [...all];
  const picked = raw.split(',').map((s) => s.trim()).filter((s) => all.includes(s));
  if (picked.length === 0) {
    console.error(`${name}=${raw} names none of ${all.join(', ')}`);
    process.exit(1);
  }
  return picked;
};
const queries = list('WEIR_BENCH_QUERIES', QUERIES) as Query[];
const TARGETS = ['in-process', 'workers', 'chromium', 'reference'] as const;
type Target = (typeof TARGETS)[number];
const targets = list('WEIR_BENCH_TARGETS', TARGETS) as Target[];

/**
 * Flink's per-core throughput, events/s: the nexmark project's README (Flink 1.13, 3 × 8 cores,
 * parallelism 8, RocksDB, exactly-once, checkpoints every 3 min, 100 M events at 10 M/s), and for
 * q5 and q7 the upper end of the range the issue quotes for later Flink versions. The aim is
 * Weir ≥ 10× the higher figure.
 */
const FLINK_PER_CORE: Record<Query, { readonly readme: number; readonly high: number }> = {
  q0: { readme: 155_020, high: 155_020 },
  q1: { readme: 157_940, high: 157_940 },
  q2: { readme: 175_210, high: 175_210 },
  q5: { readme: 22_140, high: 75_000 },
  q7: { readme: 12_330, high: 23_000 },
};

const HERE = fileURLToPath(new URL('.', import.meta.url));
const JOB = new URL('./nexmark/nexmark.job.js', import.meta.url);
const root = process.cwd();
const OUT = join(HERE, 'nexmark-page');
const SNAPSHOT = existsSync(join(HERE, 'node_modules/weir/dist/browser.js')) ? HERE : undefined;

const nodeClock: BenchClock = {
  now: () => performance.now(),
  cpuMs: () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  },
};

/** The reference's digest per query and size, computed once, unmeasured: what every run must match. */
const references = new Map<string, Digest>();
function expected(query: Query, events: number): Digest {
  const id = `${query}-${events}`;
  let d = references.get(id);
  if (d === undefined) references.set(id, (d = referenceDigest(query, events, RATE)));
  return d;
}

function checked(query: Query, events: number, s: NexmarkSample): Sample {
  const { digest, ...rest } = s;
  if (rest.error !== undefined) return rest;
  if (digest === undefined) return { ...rest, error: 'no digest read back' };
  const wrong = compareDigests(digest, expected(query, events));
  return wrong === undefined ? rest : { ...rest, error: `${digest.results} results; ${wrong}` };
}

let runs = 0;
function weirVariant(target: 'in-process' | 'workers' | 'chromium', query: Query, page: () => Page): Variant {
  const prefix = target === 'in-process' ? 'ip' : target === 'workers' ? 'w' : 'c';
  return {
    id: `${prefix}-${query}`,
    label: `${query} Weir ${target === 'in-process' ? 'in-process p1' : target === 'workers' ? `${WORKERS} Node workers` : `${WORKERS} Chromium Web Workers`}`,
    run: async (tag, warmup) => {
      const events = warmup ? WARMUP_EVENTS : EVENTS;
      const spec = { name: `nexmark-${prefix}-${query}-${tag}-${++runs}`, query, events, eventsPerSecond: RATE, intervalMs: INTERVAL_MS };
      const sample = target === 'chromium'
        ? await page().evaluate((s) => (globalThis as unknown as { nexmarkBench: NexmarkBenchPage }).nexmarkBench.run(s), { ...spec, parallelism: WORKERS })
        : await runNexmarkOnce({ ...spec, parallelism: target === 'workers' ? WORKERS : 1, jobModule: target === 'workers' ? JOB.href : undefined }, nodeClock);
      return checked(query, events, sample);
    },
  };
}

function referenceVariant(query: Query): Variant {
  return {
    id: `ref-${query}`,
    label: `${query} reference loop (this thread)`,
    run: async (_tag, warmup) => {
      const events = warmup ? WARMUP_EVENTS : EVENTS;
      const cpu0 = nodeClock.cpuMs!() as number;
      const t0 = performance.now();
      const digest = referenceDigest(query, events, RATE);
      const ms = performance.now() - t0;
      const cpuMs = (nodeClock.cpuMs!() as number) - cpu0;
      return checked(query, events, { records: events, ms, cpuMs, digest });
    },
  };
}

async function buildPage(): Promise<void> {
  await bundlePage(root, OUT, [
    { in: 'bench/nexmark/page.ts', out: 'app' },
    { in: 'bench/nexmark/nexmark.job.ts', out: 'nexmark.job' },
    { in: 'weir/worker', out: 'weir-worker' },
  ], weirFrom(SNAPSHOT));
}

const m = machine();
const loadAtStart = loadAverage();
const uptimeAtStart = uptime();
console.log(`nexmark: ${EVENTS.toLocaleString('en-US')} events per run (${(EVENTS / RATE).toFixed(0)} s of event time at ${RATE.toLocaleString('en-US')} events/s), queries ${queries.join(', ')}; exactly-once, checkpoints every ${INTERVAL_MS / 1000} s; ${ROUNDS} rounds (+1 warm-up of ${WARMUP_EVENTS.toLocaleString('en-US')})`);
console.log(`machine: ${m.os}; ${m.cpu} × ${m.cpus}; ${m.memoryGB} GB; node ${m.node}; ${uptimeAtStart}`);

const benchStarted = performance.now();
const errors: string[] = [];
let browser: Browser | undefined;
let server: { url: string; close(): Promise<void> } | undefined;
let page: Page | undefined;
let exitCode = 0;
try {
  for (const q of queries) for (const n of [WARMUP_EVENTS, EVENTS]) expected(q, n);
  if (targets.includes('chromium')) {
    await buildPage();
    const { findChrome } = (await import(pathToFileURL(join(root, 'scripts/find-chrome.mjs')).href)) as { findChrome(): string };
    const executablePath = findChrome();
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
    console.log(`chromium ${browser.version()} (${executablePath})`);
    server = await serve(OUT);
    const cdp = await browser.newBrowserCDPSession();
    page = await (await browser.newContext()).newPage();
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    if (!(await exposeRendererCpu(page, cdp)).available) console.log('no CPU time for Chromium: CDP SystemInfo.getProcessInfo failed');
    await page.goto(server.url);
    await page.waitForFunction(() => document.title === 'ready', undefined, { timeout: 30_000 });
  }
  const ALL: Variant[] = queries.flatMap((q) => [
    ...(targets.includes('reference') ? [referenceVariant(q)] : []),
    ...(['in-process', 'workers', 'chromium'] as const).filter((t) => targets.includes(t)).map((t) => weirVariant(t, q, () => page!)),
  ]);
  const only = (process.env.WEIR_BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const variants = only.length > 0 ? ALL.filter((v) => only.includes(v.id)) : ALL;
  if (variants.length === 0) throw new Error(`WEIR_BENCH_ONLY=${process.env.WEIR_BENCH_ONLY} matches no variant; ids: ${ALL.map((v) => v.id).join(', ')}`);
  const RATIO_DEFS: RatioDef[] = queries.flatMap((q) => [
    { label: `${q}: Weir in-process / reference loop`, numerator: `ip-${q}`, denominator: `ref-${q}` },
    { label: `${q}: Weir 2 Node workers / in-process p1`, numerator: `w-${q}`, denominator: `ip-${q}`, threads: 2 },
  ]);
  const { rounds, summary, ratioList } = await measureRounds(
    variants, { rounds: ROUNDS, minRounds: Math.min(3, ROUNDS), budgetMs: BUDGET_MS, warmup: true }, RATIO_DEFS, 'events/CPU-s', errors,
  );

  // The Nexmark table: events per CPU-second (per core) beside Flink's.
  const perCore = (id: string) => summary.find((s) => s.id === id && s.runs > 0 && s.wrongOutputs === 0)?.medianRecordsPerCpuSecond ?? NaN;
  const cell = (id: string, flink: number) => {
    const x = perCore(id);
    return Number.isFinite(x) ? `${formatRate(x)} (${formatRatio(x / flink)})` : summary.some((s) => s.id === id) ? 'WRONG/failed' : '';
  };
  console.log('');
  console.log('events/s per core (events per CPU-second, all threads; in brackets: × the higher Flink figure; aim ≥ 10×)');
  printTable(
    ['query', 'Flink 1.13 README / later (per core)', 'Weir in-process p1', `Weir ${WORKERS} Node workers`, `Weir ${WORKERS} Chromium workers`, 'reference loop'],
    queries.map((q) => {
      const f = FLINK_PER_CORE[q];
      return [
        q,
        f.readme === f.high ? formatRate(f.readme) : `${formatRate(f.readme)} / ${formatRate(f.high)}`,
        cell(`ip-${q}`, f.high), cell(`w-${q}`, f.high), cell(`c-${q}`, f.high),
        Number.isFinite(perCore(`ref-${q}`)) ? formatRate(perCore(`ref-${q}`)) : '',
      ];
    }),
  );
  finishBench({ name: 'nexmark', machine: m, startedAt: benchStarted, loadAtStart, uptimeAtStart, errors }, {
    events: EVENTS,
    eventsPerSecond: RATE,
    queries,
    flinkPerCore: FLINK_PER_CORE,
    chromium: browser?.version(),
    rounds,
    references: Object.fromEntries(references),
    variants: summary,
    ratios: ratioList,
  });
} catch (e) {
  console.error(`nexmark: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  exitCode = 1;
} finally {
  await browser?.close();
  await server?.close();
}
process.exit(exitCode);
