// Checkpoints to IndexedDB in Chromium: how long a full checkpoint of keyed state of 1, 10 and 50 MB
// takes, how long a page reload takes to resume it (to the first record processed), and what an
// incremental checkpoint writes when 1 % of the keys changed — each beside raw IndexedDB writes and
// reads of the same bytes in the same number of values, measured in the same run, same profile.
//
// How (the approach of bench/workers-chromium.bench.ts): esbuild bundles bench/idb/ against the built
// package (app + job module + { in: 'weir/worker', out: 'weir-worker' } + the raw baseline's bare
// worker), node:http serves it on 127.0.0.1, playwright-core drives Chromium. Unlike that bench, each
// size gets its own *persistent* context (a fresh user-data dir on disk): an ordinary Playwright
// context is off the record, and its IndexedDB lives in memory.
//
// Per size: the job (bench/idb/state.job.ts, parallelism 1, one Web Worker, default storage =
// IndexedDB) fills N keys with a 100-character string each; then
//   - full checkpoints: one right after the fill (cold: the JIT has not optimised the encoder yet;
//     shown apart), then ROUNDS times: rewrite every key, triggerCheckpoint(); medians. CheckpointStats:
//     durationMs (trigger → metadata committed), the keyed subtask's syncDurationMs (encoding, on the
//     task's thread) and asyncDurationMs (its chunk writes);
//   - incremental: change 1 % of the keys, uniformly (every 100th key: every key group) or concentrated
//     (keys of key groups 0–1: one span of 8 key groups), triggerCheckpoint(); persistedSize/stateSize;
//   - raw: a bare worker puts values of exactly the byte sizes of the chunks Weir wrote for a full
//     checkpoint (their sizes read back from Weir's IndexedDB database, 'weir') into a database of its
//     own, in one 'relaxed' transaction (and, for comparison, one transaction per value, as Weir's
//     putChunk calls are), and gets them back in one transaction — round by round right after each
//     of Weir's full checkpoints, so that both see the same load from others on the machine;
//   - resume: navigate the page again (a reload: a new document, same origin and profile, the running
//     job's workers die with the old one) with ?resume=…; the page calls run() at once. Resume time is
//     from just before the driver's page.goto() to the Date.now() the job's keyed function takes when
//     it processes its first record (the source emits a marker on key k0 first; the function also
//     checks that k0's value was restored). Median of ROUNDS reloads; also shown from the run() call
//     (without the page load). The raw read is measured again in the reloaded page, so both reads
//     follow a reload; the aim (1.5 × raw read + 100 ms) compares against that one;
//   - raw resume: the raw baseline reloads too (?rawresume=…: the same page, whose script at once starts
//     the bare raw worker and reads every value), timed from page.goto() to the read's end, in each
//     round right after Weir's resume. Weir's resume pays the page load and a worker start as any app
//     that resumes work from IndexedDB does, and the read alone does not; "aim 2" (1.5 × the raw
//     resume + 100 ms) compares like with like (docs/decisions.md). Both are printed.
// Prints tables; asserts nothing. Env: WEIR_BENCH_SIZES (MB, default 1,10,50), WEIR_BENCH_ROUNDS
// (default 3), CHROME_PATH.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { CheckpointStats } from 'weir';
import { bundlePage, serve, weirFrom } from './chromium-driver.js';
import type { RawResumeResult, RawResumeSpec, ResumeResult, ResumeSpec, WeirIdbPage } from './idb/app.js';
import { envInt, loadAverage, machine, median, printTable, saveResults } from './harness.js';
import { CHANGED_FRACTION, keyName, keysOf, keysPerSpan, type KeySet, type StateParams } from './idb/shared.js';

const VALUE_CHARS = 100;
/** Encoded bytes of one entry, as measured: the key 'k123456' (1 + 7), the value (5 + 100: Weir's
 * encoder gives strings of 64+ characters a 5-byte header) and the maps' framing. */
const BYTES_PER_KEY = 113;
const ROUNDS = envInt('WEIR_BENCH_ROUNDS', 3);
const SIZES_MB = (process.env.WEIR_BENCH_SIZES ?? '1,10,50').split(',').map((s) => Number(s.trim())).filter((n) => Number.isFinite(n) && n > 0);
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-background-timer-throttling', '--disable-renderer-backgrounding'];

const root = process.cwd();
if (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).name !== 'weir') {
  console.error(`run the benchmarks from the weir repository root (npm run bench); cwd is ${root}`);
  process.exit(1);
}
// Private folders in bench-results/ (gitignored; inside the repository, so the package's own
// dependencies resolve from its node_modules): another `npm run bench` on this machine empties
// bench-results/.build/ when it starts, and `npm test` rebuilds dist/. PKG gets its own copy of the
// built package (below), OUT the bundled page; both are removed at the end.
mkdirSync(join(root, 'bench-results'), { recursive: true });
const OUT = mkdtempSync(join(root, 'bench-results/.checkpoint-idb-page-'));
const PKG = mkdtempSync(join(root, 'bench-results/.checkpoint-idb-pkg-'));

function uptime(): string {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return 'uptime unavailable';
  }
}

/**
 * Copies the built package into PKG/node_modules/weir: scripts/bench.mjs's snapshot of dist/ in
 * bench-results/.build if it is there, else dist/ itself. PKG/package.json has no name, so `weir`
 * resolves to the copy (with the browser condition).
 */
function copyPackage(): void {
  const from = [join(root, 'bench-results/.build/node_modules/weir'), root];
  for (const dir of from) {
    try {
      rmSync(join(PKG, 'node_modules'), { recursive: true, force: true });
      cpSync(join(dir, 'dist'), join(PKG, 'node_modules/weir/dist'), { recursive: true });
      cpSync(join(dir, 'package.json'), join(PKG, 'node_modules/weir/package.json'));
      if (['browser.js', 'weir-worker.js'].every((f) => existsSync(join(PKG, 'node_modules/weir/dist', f)))) {
        writeFileSync(join(PKG, 'package.json'), `${JSON.stringify({ private: true, type: 'module' })}\n`);
        return;
      }
    } catch {
      // gone meanwhile (another run cleared it): try the next
    }
  }
  throw new Error('no built package: run `npm run build` (npm run bench does)');
}

/** The page, bundled as a consumer app would be: `weir` is the built package (browser condition). */
async function buildPage(): Promise<void> {
  copyPackage();
  await bundlePage(root, OUT, [
    { in: 'bench/idb/app.ts', out: 'app' },
    { in: 'bench/idb/state.job.ts', out: 'state.job' },
    { in: 'weir/worker', out: 'weir-worker' },
    { in: 'bench/idb/raw-idb-worker.ts', out: 'raw-idb-worker' },
  ], weirFrom(PKG));
}

const bench = (page: Page) => ({
  start: (p: StateParams) => page.evaluate((p) => (globalThis as unknown as { weirIdb: WeirIdbPage }).weirIdb.start(p), p),
  pass: (which: KeySet) => page.evaluate((w) => (globalThis as unknown as { weirIdb: WeirIdbPage }).weirIdb.pass(w), which),
  checkpoint: () => page.evaluate(() => (globalThis as unknown as { weirIdb: WeirIdbPage }).weirIdb.checkpoint()),
  cancel: () => page.evaluate(() => (globalThis as unknown as { weirIdb: WeirIdbPage }).weirIdb.cancel()),
  raw: <T>(command: unknown) => page.evaluate((c) => (globalThis as unknown as { weirIdb: WeirIdbPage }).weirIdb.raw(c), command) as Promise<T>,
  resumed: () => page.evaluate(() => (globalThis as unknown as { weirIdb: WeirIdbPage }).weirIdb.resumed),
  rawResumed: () => page.evaluate(() => (globalThis as unknown as { weirIdb: WeirIdbPage }).weirIdb.rawResumed),
  /** The byte sizes of the chunks Weir stored for checkpoint `id` of `job` (read from its database, 'weir'). */
  chunks: (job: string, id: number) => page.evaluate(async ([job, id]) => {
    const db = await new Promise<IDBDatabase>((ok, fail) => {
      const r = indexedDB.open('weir');
      r.onsuccess = () => ok(r.result);
      r.onerror = () => fail(r.error);
    });
    try {
      const prefix = `jobs/${encodeURIComponent(job)}/chunks/${String(id).padStart(12, '0')}/`;
      const values = await new Promise<unknown[]>((ok, fail) => {
        const r = db.transaction('chunks', 'readonly').objectStore('chunks').getAll(IDBKeyRange.bound(prefix, `${prefix}\uffff`));
        r.onsuccess = () => ok(r.result);
        r.onerror = () => fail(r.error);
      });
      return values.map((v) => (v instanceof Blob ? v.size : (v as Uint8Array).byteLength)); // a Blob since chunks are stored as Blobs
    } finally {
      db.close();
    }
  }, [job, id] as const),
});

interface CheckpointSample {
  readonly id: number;
  readonly status: string;
  readonly durationMs: number;
  readonly stateSize: number;
  readonly persistedSize: number;
  /** The subtask holding the keyed state (the largest stateSize). */
  readonly keyedSyncMs: number;
  readonly keyedAsyncMs: number;
  /** Trigger → the last subtask's ack; the rest of durationMs is the metadata commit and bookkeeping. */
  readonly lastAckMs: number;
  readonly failureReason?: string;
}

function sampleOf(s: CheckpointStats): CheckpointSample {
  const keyed = [...s.subtasks].sort((a, b) => b.stateSize - a.stateSize)[0];
  return {
    id: s.id, status: s.status, durationMs: s.durationMs ?? NaN, stateSize: s.stateSize, persistedSize: s.persistedSize,
    keyedSyncMs: keyed?.syncDurationMs ?? NaN, keyedAsyncMs: keyed?.asyncDurationMs ?? NaN,
    lastAckMs: Math.max(...s.subtasks.map((t) => t.ackTimestamp)) - s.triggerTimestamp,
    ...(s.failureReason !== undefined ? { failureReason: s.failureReason } : {}),
  };
}

interface IncrementalSample extends CheckpointSample {
  readonly keysChanged: number;
  readonly spansTouched: number;
  readonly chunksWritten: number;
}

interface ResumeSample extends ResumeResult {
  readonly navigateAt: number;
  readonly resumeMs: number;
}

interface SizeResult {
  readonly mb: number;
  readonly keys: number;
  readonly job: string;
  readonly fill: { runMs: number; fillMs: number };
  /** The first full checkpoint, not in the medians. */
  readonly cold: CheckpointSample;
  readonly full: CheckpointSample[];
  readonly fullPassMs: number[];
  readonly chunkSizes: number[];
  /** The raw write of Uint8Array values, of Blob values, and per round the faster of the two (the baseline). */
  readonly rawWriteBytes: number[];
  readonly rawWriteBlob: number[];
  readonly rawWrite: number[];
  readonly rawWriteTxPerValue: number[];
  readonly rawRead: number[];
  readonly rawReadBlob: number[];
  readonly rawReadAfterReload: number[];
  /** The raw baseline's own reload: navigate → page script → a fresh bare worker has read every value (ms); the faster way per round. */
  readonly rawResume: (RawResumeResult & { navigateAt: number; resumeMs: number; blob: boolean })[];
  readonly rawResumeBytes: number[];
  readonly rawResumeBlob: number[];
  readonly rawReadBytes: number;
  readonly uniform: IncrementalSample[];
  readonly concentrated: IncrementalSample[];
  readonly resume: ResumeSample[];
  readonly problems: string[];
}

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

async function measureSize(executablePath: string, url: string, mb: number, log: (line: string) => void): Promise<SizeResult> {
  const keys = Math.max(200, Math.round((mb * 1e6) / BYTES_PER_KEY));
  const job = `ckpt-idb-${mb}mb-${Date.now()}`;
  const params: StateParams = { name: job, keys, valueChars: VALUE_CHARS };
  const profile = mkdtempSync(join(tmpdir(), 'weir-bench-idb-'));
  const problems: string[] = [];
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath, args: CHROMIUM_ARGS, headless: true });
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    });
    await page.goto(url);
    await page.waitForFunction(() => document.title === 'ready', undefined, { timeout: 30_000 });
    const b = bench(page);

    const fill = await b.start(params);
    log(`  ${mb} MB: ${keys.toLocaleString('en-US')} keys filled in ${fill.fillMs} ms (run() resolved after ${fill.runMs} ms)`);

    // Full checkpoints: every key rewritten before each (else the next one reuses every span). The
    // first, cold one (the encoder not yet optimised by the JIT) is kept apart from the medians.
    const cold = sampleOf(await b.checkpoint());
    // The raw baseline writes values of exactly these sizes: the chunks Weir stored for it.
    const chunkSizes = await b.chunks(job, cold.id);
    // Each round: a full Weir checkpoint, then the raw write and read of the same bytes, so that
    // both see the same machine load (others share this machine's CPUs).
    const full: CheckpointSample[] = [];
    const fullPassMs: number[] = [];
    const rawWriteBytes: number[] = [];
    const rawWriteBlob: number[] = [];
    const rawWriteTxPerValue: number[] = [];
    const rawRead: number[] = [];
    const rawReadBlob: number[] = [];
    let rawReadBytes = 0;
    for (let r = 0; r < ROUNDS; r++) {
      fullPassMs.push((await b.pass('all')).ms);
      await sleep(100); // the task learns of the previous checkpoint's completion
      full.push(sampleOf(await b.checkpoint()));
      // Both ways of putting the bytes, Uint8Array values and Blob values (Weir's), alternating which goes first.
      for (const blob of r % 2 === 0 ? [false, true] : [true, false]) {
        (blob ? rawWriteBlob : rawWriteBytes).push((await b.raw<{ ms: number }>({ op: 'write', round: r, sizes: chunkSizes, txPerValue: false, blob })).ms);
      }
      for (const blob of [false, true]) {
        const got = await b.raw<{ ms: number; bytes: number }>({ op: 'read', round: r, count: chunkSizes.length, txPerValue: false, blob });
        (blob ? rawReadBlob : rawRead).push(got.ms);
        if (rawReadBytes !== 0 && got.bytes !== rawReadBytes) problems.push(`raw read round ${r}${blob ? ' (Blob values)' : ''}: ${got.bytes} bytes, another read got ${rawReadBytes}`);
        rawReadBytes = got.bytes;
        if (r < ROUNDS - 1) await b.raw({ op: 'delete', round: r, count: chunkSizes.length, blob }); // the last round's stay, read after each reload
      }
      rawWriteTxPerValue.push((await b.raw<{ ms: number }>({ op: 'write', round: 1000 + r, sizes: chunkSizes, txPerValue: true })).ms);
      await b.raw({ op: 'delete', round: 1000 + r, count: chunkSizes.length });
    }
    log(`  full checkpoints: cold ${cold.durationMs} ms, then ${full.map((c) => `${c.durationMs} ms`).join(', ')}; ${chunkSizes.length} chunks, ${chunkSizes.reduce((n, s) => n + s, 0).toLocaleString('en-US')} bytes`);
    const rawWrite = rawWriteBytes.map((ms, i) => Math.min(ms, rawWriteBlob[i]!));
    log(`  raw: write Uint8Array ${rawWriteBytes.map((m) => m.toFixed(0)).join(', ')} ms, Blob ${rawWriteBlob.map((m) => m.toFixed(0)).join(', ')} ms (tx per value ${rawWriteTxPerValue.map((m) => m.toFixed(0)).join(', ')}); read ${rawRead.map((m) => m.toFixed(0)).join(', ')} ms, Blob ${rawReadBlob.map((m) => m.toFixed(0)).join(', ')} ms`);

    // Incremental: 1 % of the keys, uniform then concentrated, alternating; the concentrated one
    // comes last, so the checkpoint restored below reuses chunks of the one before.
    const uniform: IncrementalSample[] = [];
    const concentrated: IncrementalSample[] = [];
    const uniformKeys = keysOf('uniform', keys);
    const concentratedKeys = keysOf('concentrated', keys);
    const spans = (indices: number[]) => keysPerSpan(indices).filter((n) => n > 0).length;
    for (let r = 0; r < ROUNDS; r++) {
      for (const [which, list, into] of [['uniform', uniformKeys, uniform], ['concentrated', concentratedKeys, concentrated]] as const) {
        const passed = await b.pass(which);
        await sleep(100);
        const s = sampleOf(await b.checkpoint());
        const written = await b.chunks(job, s.id);
        into.push({ ...s, keysChanged: passed.updated, spansTouched: spans(list), chunksWritten: written.length });
      }
    }
    log(`  incremental: uniform ${uniform.map((c) => `${c.durationMs} ms`).join(', ')}; concentrated ${concentrated.map((c) => `${c.durationMs} ms`).join(', ')}`);

    // Resume: reload (navigate to ?resume=…) while the job runs; the page calls run() at once.
    const spec: ResumeSpec = { params, passes: 1 + ROUNDS + 2 * ROUNDS };
    const resumeUrl = `${url}?resume=${encodeURIComponent(JSON.stringify(spec))}`;
    const resume: ResumeSample[] = [];
    const rawReadAfterReload: number[] = [];
    const rawResume: SizeResult['rawResume'] = [];
    const rawResumeBytes: number[] = [];
    const rawResumeBlob: number[] = [];
    const rawResumeUrl = (blob: boolean) => `${url}?rawresume=${encodeURIComponent(JSON.stringify({ round: ROUNDS - 1, count: chunkSizes.length, blob } satisfies RawResumeSpec))}`;
    for (let r = 0; r < ROUNDS; r++) {
      const navigateAt = Date.now();
      await page.goto(resumeUrl, { waitUntil: 'commit' });
      await page.waitForFunction(() => document.title === 'resumed', undefined, { timeout: 120_000 });
      const result = (await b.resumed())!;
      resume.push({ ...result, navigateAt, resumeMs: result.firstRecordAt - navigateAt });
      if (result.error !== undefined) problems.push(`resume ${r}: ${result.error}`);
      else if (!result.restored) problems.push(`resume ${r}: key k0 held no value after the restore (checkpoint ${String(result.restoredCheckpointId)})`);
      // The raw read, also in a page just loaded: the last raw round's values are still stored.
      rawReadAfterReload.push((await b.raw<{ ms: number }>({ op: 'read', round: ROUNDS - 1, count: chunkSizes.length, txPerValue: false })).ms);
      // The raw baseline reloads too: the same page, which at once starts a bare worker that reads every
      // value — its Uint8Array values and its Blob values, alternating which first; the faster counts.
      const tries: SizeResult['rawResume'] = [];
      for (const blob of r % 2 === 0 ? [false, true] : [true, false]) {
        const rawNavigateAt = Date.now();
        await page.goto(rawResumeUrl(blob), { waitUntil: 'commit' });
        await page.waitForFunction(() => document.title === 'raw-resumed', undefined, { timeout: 120_000 });
        const rawResult = (await b.rawResumed())!;
        if (rawResult.error !== undefined) problems.push(`raw resume ${r}${blob ? ' (Blob values)' : ''}: ${rawResult.error}`);
        else if (rawResult.bytes !== chunkSizes.reduce((n, x) => n + x, 0)) problems.push(`raw resume ${r}${blob ? ' (Blob values)' : ''}: read ${rawResult.bytes} bytes`);
        const one = { ...rawResult, navigateAt: rawNavigateAt, resumeMs: rawResult.readDoneAt - rawNavigateAt, blob };
        (blob ? rawResumeBlob : rawResumeBytes).push(one.resumeMs);
        tries.push(one);
      }
      rawResume.push(tries[0]!.resumeMs <= tries[1]!.resumeMs ? tries[0]! : tries[1]!);
    }
    log(`  resume: ${resume.map((x) => `${x.resumeMs} ms`).join(', ')}; raw read after reload ${rawReadAfterReload.map((m) => m.toFixed(0)).join(', ')} ms; raw resume (reload → read) Uint8Array ${rawResumeBytes.map((ms) => `${ms} ms`).join(', ')}, Blob ${rawResumeBlob.map((ms) => `${ms} ms`).join(', ')}`);
    await b.cancel();
    return { mb, keys, job, fill, cold, full, fullPassMs, chunkSizes, rawWriteBytes, rawWriteBlob, rawWrite, rawWriteTxPerValue, rawRead, rawReadBlob, rawReadAfterReload, rawResume, rawResumeBytes, rawResumeBlob, rawReadBytes, uniform, concentrated, resume, problems };
  } finally {
    await context?.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

const fmt = (ms: number, digits = 0) => (Number.isFinite(ms) ? ms.toFixed(digits) : '–');
const mbOf = (bytes: number) => (bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 1);
const pct = (x: number) => `${(x * 100).toFixed(x < 0.1 ? 2 : 1)} %`;

const m = machine();
const loadAtStart = loadAverage();
const uptimeAtStart = uptime();
console.log(`checkpoints to IndexedDB in Chromium: keyed state of ${SIZES_MB.join(', ')} MB (a ${VALUE_CHARS}-character string per key, ~${BYTES_PER_KEY} B encoded), parallelism 1 (one Web Worker), ${ROUNDS} rounds`);
console.log(`machine: ${m.os}; ${m.cpu} × ${m.cpus}; ${m.memoryGB} GB; ${uptimeAtStart}`);

const started = performance.now();
const results: SizeResult[] = [];
const errors: string[] = [];
let server: { url: string; close(): Promise<void> } | undefined;
let exitCode = 0;
let chromiumVersion = 'unknown';
try {
  const t0 = performance.now();
  // Retried: another session's `npm run build` may be rewriting dist/ just now.
  for (let attempt = 1; ; attempt++) {
    try {
      await buildPage();
      break;
    } catch (e) {
      if (attempt === 3) throw e;
      console.log(`building the page failed (attempt ${attempt}), retrying in 2 s: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
      await sleep(2000);
    }
  }
  const { findChrome } = (await import(pathToFileURL(join(root, 'scripts/find-chrome.mjs')).href)) as { findChrome(): string };
  const executablePath = findChrome();
  server = await serve(OUT);
  try {
    chromiumVersion = execFileSync(executablePath, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // keep 'unknown'
  }
  console.log(`${chromiumVersion} (${executablePath}); page built in ${(performance.now() - t0).toFixed(0)} ms; a fresh persistent profile per size`);
  for (const mb of SIZES_MB) {
    try {
      results.push(await measureSize(executablePath, server.url, mb, (line) => console.log(line)));
    } catch (e) {
      errors.push(`${mb} MB: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      console.log(`  ${mb} MB failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  const med = (xs: readonly number[]) => (xs.length === 0 ? NaN : median(xs));
  console.log('\nFull checkpoint and resume (medians; raw = a bare worker\'s IndexedDB put/get of the same bytes in the same number of values, same run and profile;');
  console.log('raw write = per round the faster of its Uint8Array and its Blob values, both shown below)');
  printTable(
    ['state', 'keys', 'stateSize MB', 'values', 'Weir ckpt ms', 'raw write ms', 'ratio', '≤1.5×?', 'resume ms', 'raw read ms', 'aim ms', 'resume/aim', 'met?', 'from run() ms', '/aim', 'met?'],
    results.map((r) => {
      const ckpt = med(r.full.map((c) => c.durationMs));
      const write = med(r.rawWrite);
      const resume = med(r.resume.map((x) => x.resumeMs));
      const read = med(r.rawReadAfterReload);
      const aim = 1.5 * read + 100;
      const fromRun = med(r.resume.map((x) => x.firstRecordAt - x.runCalledAt));
      return [
        `${r.mb} MB`, r.keys.toLocaleString('en-US'), mbOf(med(r.full.map((c) => c.stateSize))), String(r.chunkSizes.length),
        fmt(ckpt), fmt(write), `${(ckpt / write).toFixed(2)}×`, ckpt <= 1.5 * write ? 'yes' : 'no',
        fmt(resume), fmt(read), fmt(aim), `${(resume / aim).toFixed(2)}×`, resume <= aim ? 'yes' : 'no',
        fmt(fromRun), `${(fromRun / aim).toFixed(2)}×`, fromRun <= aim ? 'yes' : 'no',
      ];
    }),
  );

  console.log('\nWhere the full checkpoint\'s time goes (medians; keyed subtask: sync = encoding the state on its thread, async = its chunk writes)');
  printTable(
    ['state', 'durationMs', 'sync ms', 'async ms', 'last ack ms', 'after ack ms', 'raw write 1 tx', 'Uint8Array', 'Blob', 'raw write tx/value', 'raw read Uint8Array / Blob', 'cold 1st ckpt ms (sync/async)', 'rewrite pass ms'],
    results.map((r) => {
      const d = med(r.full.map((c) => c.durationMs));
      const ack = med(r.full.map((c) => c.lastAckMs));
      return [
        `${r.mb} MB`, fmt(d), fmt(med(r.full.map((c) => c.keyedSyncMs))), fmt(med(r.full.map((c) => c.keyedAsyncMs))), fmt(ack), fmt(d - ack),
        fmt(med(r.rawWrite)), fmt(med(r.rawWriteBytes)), fmt(med(r.rawWriteBlob)), fmt(med(r.rawWriteTxPerValue)), `${fmt(med(r.rawRead))} / ${fmt(med(r.rawReadBlob))}`,
        `${fmt(r.cold.durationMs)} (${fmt(r.cold.keyedSyncMs)}/${fmt(r.cold.keyedAsyncMs)})`, fmt(med(r.fullPassMs)),
      ];
    }),
  );

  console.log('\nWhere the resume time goes (medians, from the driver\'s page.goto(); the new page calls run() as soon as its script runs; run() resolves once the')
  console.log('worker is deployed, and the worker reads and decodes the state after that, before the first record)');
  printTable(
    ['state', 'resume ms', 'goto → run()', 'run() → deployed', 'deployed → 1st record', 'restore event', 'raw read (reloaded page)', 'raw read (before reload)'],
    results.map((r) => [
      `${r.mb} MB`, fmt(med(r.resume.map((x) => x.resumeMs))),
      fmt(med(r.resume.map((x) => x.runCalledAt - x.navigateAt))), fmt(med(r.resume.map((x) => x.runResolvedAt - x.runCalledAt))),
      fmt(med(r.resume.map((x) => x.firstRecordAt - x.runResolvedAt))),
      r.resume.every((x) => x.restoreAt !== undefined) ? `+${fmt(med(r.resume.map((x) => x.restoreAt! - x.runCalledAt)))} ms` : '–',
      fmt(med(r.rawReadAfterReload), 1), fmt(med(r.rawRead), 1),
    ]),
  );

  console.log('\nPer round (same round, in turn): the checkpoint over the raw write; resume over the raw baseline\'s own reload (both from page.goto():');
  console.log('the raw page is the same page, which starts a bare worker at once and reads every value); aim 2 = 1.5 × that + 100 ms (docs/decisions.md)');
  printTable(
    ['state', 'ckpt / raw write, per round', 'median', 'vs Uint8Array raw', 'vs Blob raw', 'raw resume ms', 'goto → script', 'script → read', 'aim 2 ms', 'resume / aim 2', 'met?', 'resume / raw resume, per round'],
    results.map((r) => {
      const ckptRatios = r.full.map((c, i) => c.durationMs / r.rawWrite[i]!);
      const rawResumeMs = med(r.rawResume.map((x) => x.resumeMs));
      const resume = med(r.resume.map((x) => x.resumeMs));
      const aim2 = 1.5 * rawResumeMs + 100;
      return [
        `${r.mb} MB`, ckptRatios.map((x) => `${x.toFixed(2)}×`).join(' '), `${med(ckptRatios).toFixed(2)}×`,
        `${med(r.full.map((c, i) => c.durationMs / r.rawWriteBytes[i]!)).toFixed(2)}×`, `${med(r.full.map((c, i) => c.durationMs / r.rawWriteBlob[i]!)).toFixed(2)}×`,
        fmt(rawResumeMs), fmt(med(r.rawResume.map((x) => x.scriptAt - x.navigateAt))), fmt(med(r.rawResume.map((x) => x.readDoneAt - x.scriptAt))),
        fmt(aim2), `${(resume / aim2).toFixed(2)}×`, resume <= aim2 ? 'yes' : 'no',
        r.resume.map((x, i) => `${(x.resumeMs / r.rawResume[i]!.resumeMs).toFixed(2)}×`).join(' '),
      ];
    }),
  );

  console.log(`\nIncremental checkpoints after ${pct(CHANGED_FRACTION)} of the keys changed (medians; a span = 8 key groups, 16 spans in all)`);
  const fullMs = new Map(results.map((r) => [r.mb, med(r.full.map((c) => c.durationMs))]));
  printTable(
    ['state', 'changed keys', 'spans touched', 'chunks written', 'persisted MB', 'persisted/state', 'duration ms', 'vs full ckpt', 'sync ms', 'async ms'],
    results.flatMap((r) => ([['uniform', r.uniform], ['concentrated', r.concentrated]] as const).map(([label, xs]) => {
      const persisted = med(xs.map((c) => c.persistedSize));
      const d = med(xs.map((c) => c.durationMs));
      return [
        `${r.mb} MB ${label}`, (xs[0]?.keysChanged ?? NaN).toLocaleString('en-US'), String(xs[0]?.spansTouched ?? '–'), String(xs[0]?.chunksWritten ?? '–'),
        mbOf(persisted), pct(persisted / med(xs.map((c) => c.stateSize))), fmt(d), `${(d / fullMs.get(r.mb)!).toFixed(2)}×`,
        fmt(med(xs.map((c) => c.keyedSyncMs))), fmt(med(xs.map((c) => c.keyedAsyncMs))),
      ];
    })),
  );

  for (const r of results) {
    for (const c of [r.cold, ...r.full, ...r.uniform, ...r.concentrated]) {
      if (c.status !== 'completed') errors.push(`${r.mb} MB: checkpoint ${c.id} ${c.status}${c.failureReason !== undefined ? `: ${c.failureReason}` : ''}`);
    }
    const written = r.chunkSizes.reduce((n, s) => n + s, 0);
    if (written !== r.cold.persistedSize) errors.push(`${r.mb} MB: the chunks stored for the first full checkpoint hold ${written} bytes, its persistedSize says ${r.cold.persistedSize}`);
    if (r.rawReadBytes !== written) errors.push(`${r.mb} MB: the raw read got ${r.rawReadBytes} bytes, ${written} were written`);
    for (const p of r.problems) errors.push(`${r.mb} MB: ${p}`);
  }
  const totalS = (performance.now() - started) / 1000;
  const loadAtEnd = loadAverage();
  const uptimeAtEnd = uptime();
  console.log(`\ntotal ${totalS.toFixed(1)} s; load average ${loadAtStart} at start, ${loadAtEnd} at end (${m.cpus} CPUs); ${uptimeAtEnd}`);
  console.log(`key ${keyName(0)}'s value is checked after every resume; 'values' = the chunks Weir wrote for a full checkpoint (the raw baseline writes the same sizes);`);
  console.log('the raw write/read runs right after each Weir checkpoint, round by round; the raw read in the aim is the one after a reload');
  for (const e of errors) console.log(`ERROR ${e}`);
  const file = saveResults('checkpoint-idb', {
    benchmark: 'checkpoint-idb', date: new Date().toISOString(), machine: m, chromium: chromiumVersion,
    loadAverage: { start: loadAtStart, end: loadAtEnd }, uptime: { start: uptimeAtStart, end: uptimeAtEnd },
    rounds: ROUNDS, valueChars: VALUE_CHARS, sizes: results, errors, totalSeconds: totalS,
  });
  console.log(`saved ${file}`);
} catch (e) {
  console.error(`checkpoint-idb: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  exitCode = 1;
} finally {
  await server?.close();
  rmSync(OUT, { recursive: true, force: true });
  rmSync(PKG, { recursive: true, force: true });
}
process.exit(exitCode);
