// Input logs and live output, in Node (npm run bench -- log). Prints tables; asserts nothing.
//
// 1. Append throughput to a `{ dir }` log (FsCheckpointStorage: one conditional write of one
//    fsynced value per append call, under the folder's lock) for appends of 1 and of 100 records,
//    against raw baselines in the same run: each batch's encoded bytes written to a file of its own
//    and fsynced, the same with the directory fsynced too (a created file is durable only then), and
//    each batch appended to one file and fdatasync'd (the fastest durable way by hand: no new name
//    to make durable); the four interleaved in slices of 20 appends, so that they see the same
//    load. Then a burst: all appends issued at once and awaited together (the log groups those
//    made while a write is in flight), against the raw append + fdatasync per append, at once.
// 1b. The same in Chromium against IndexedDB (the aim: ≥ 0.8× raw): a page appends to an
//    `indexeddb` log, against a raw IndexedDB put of the same batches, one 'strict' transaction
//    per batch (bench/log-idb/app.ts), committing by itself and with `commit()` at once (the
//    fastest by hand), and against the log's own IndexedDB requests made by hand (add, get of
//    the floor, commit() at once; and the waiting claim: getKey, add, commit() once answered), one after another (all interleaved in slices of 20 appends) and as a burst (raw: a transaction per append issued at once, and all in one
//    transaction as the ceiling). A persistent profile on disk (an ordinary Playwright context
//    keeps IndexedDB in memory). Variants alternate round by round; medians.
// 2. readTable of a 100 k-row table built by 10,000 commits of 10 rows, through the table sink's
//    own writer, committer and post-commit step (memory storage): compacted (the post-commit step
//    after every commit, settled one checkpoint back) and not compacted, against reading the same
//    100 k rows stored in one value (getChunk + decodeChunk). Aim: compacted ≤ 2× one value.
// 3. End-to-end latency from `append` resolving to the record showing in `watchTable` (in-process
//    job, memory storage) with checkpoints every 100 ms and 1 s, retained 1 and 2 (watchTable shows
//    settled output only: with retained 2, one checkpoint later). Aim: p99 ≤ interval + 50 ms.
// Env: WEIR_BENCH_APPENDS (per variant, default 400), WEIR_BENCH_SAMPLES (latency, default 20),
// WEIR_BENCH_ROUNDS (IndexedDB, default 3), WEIR_BENCH_PARTS (below), CHROME_PATH.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { job, MemoryCheckpointStorage, openLog, readTable, run, sinks, sources, watchTable, type Committer, type SinkContext } from 'weir';
import { decodeChunk, encodeChunk } from '../src/state/chunk-format.js';
import { operatorStateAccess, OperatorStateStore } from '../src/state/operator-state-store.js';
import { encodeValue } from '../src/state/value-codec.js';
import { FsCheckpointStorage } from '../src/state/backends/fs-storage.js';
import { bundlePage, CHROMIUM_ARGS, serve, weirFrom } from './chromium-driver.js';
import { envInt, loadAverage, machine, median, printTable, saveResults } from './harness.js';

const APPENDS = envInt('WEIR_BENCH_APPENDS', 400);
const SAMPLES = envInt('WEIR_BENCH_SAMPLES', 20);
const ROUNDS = envInt('WEIR_BENCH_ROUNDS', 3);
const results: Record<string, unknown> = { machine: machine(), loadBefore: loadAverage() };
const click = (i: number) => ({ id: i, area: `area-${i % 9}`, at: 1_700_000_000_000 + i });

// 1. Append throughput.
async function appendThroughput(): Promise<void> {
  const rows: string[][] = [];
  const burstRows: string[][] = [];
  for (const size of [1, 100]) {
    const dir = mkdtempSync(join(tmpdir(), 'weir-bench-log-'));
    const rawDir = mkdtempSync(join(tmpdir(), 'weir-bench-raw-'));
    try {
      const log = await openLog(`bench-${size}`, { storage: new FsCheckpointStorage({ dir }) });
      const batches = Array.from({ length: APPENDS }, (_, b) => Array.from({ length: size }, (_, i) => click(b * size + i)));
      // Interleaved in slices of SLICE appends (log, raw, raw + directory), so that all three see
      // the same load from others on the machine; the sums are compared.
      const SLICE = 20;
      let weirMs = 0;
      let rawMs = 0;
      let rawDurableMs = 0;
      let rawAppendMs = 0;
      const rawDirHandle = await open(rawDir, 'r');
      // The fastest durable way by hand: one file, created (and its folder synced) beforehand, each
      // batch appended and fdatasync'd (no new name per batch, so no folder sync per batch).
      const appendFile = await open(join(rawDir, 'appended'), 'a');
      await rawDirHandle.sync();
      for (let from = 0; from < batches.length; from += SLICE) {
        const slice = batches.slice(from, from + SLICE);
        let t = performance.now();
        for (const batch of slice) await log.append(size === 1 ? batch[0]! : batch);
        weirMs += performance.now() - t;
        t = performance.now();
        for (const [i, batch] of slice.entries()) {
          const file = await open(join(rawDir, `b${from + i}`), 'w');
          await file.write(encodeValue(batch));
          await file.sync();
          await file.close();
        }
        rawMs += performance.now() - t;
        t = performance.now();
        for (const [i, batch] of slice.entries()) {
          const file = await open(join(rawDir, `d${from + i}`), 'w');
          await file.write(encodeValue(batch));
          await file.sync();
          await file.close();
          await rawDirHandle.sync();
        }
        rawDurableMs += performance.now() - t;
        t = performance.now();
        for (const batch of slice) {
          await appendFile.write(encodeValue(batch));
          await appendFile.datasync();
        }
        rawAppendMs += performance.now() - t;
      }
      await appendFile.close();
      // The burst: every append at once, awaited together.
      const burst = await openLog(`bench-burst-${size}`, { storage: new FsCheckpointStorage({ dir }) });
      await burst.append(click(-1)); // creates the partition: outside the timing
      let t = performance.now();
      await Promise.all(batches.map((batch) => burst.append(size === 1 ? batch[0]! : batch)));
      const burstMs = performance.now() - t;
      await burst.close();
      const burstFile = await open(join(rawDir, 'burst'), 'a');
      await rawDirHandle.sync();
      t = performance.now();
      await Promise.all(batches.map(async (batch) => {
        await burstFile.write(encodeValue(batch));
        await burstFile.datasync();
      }));
      const rawBurstMs = performance.now() - t;
      await burstFile.close();
      await rawDirHandle.close();
      await log.close();
      const records = APPENDS * size;
      const rate = (ms: number) => (records / (ms / 1000)).toFixed(0);
      rows.push([`${size} record(s) per append`, rate(weirMs), rate(rawMs), rate(rawDurableMs), rate(rawAppendMs), (rawMs / weirMs).toFixed(2), (rawDurableMs / weirMs).toFixed(2), (rawAppendMs / weirMs).toFixed(2)]);
      burstRows.push([`${size} record(s) per append`, rate(burstMs), rate(rawBurstMs), (rawBurstMs / burstMs).toFixed(2)]);
      results[`append-${size}`] = { appends: APPENDS, weirMs, rawMs, rawDurableMs, rawAppendMs, burstMs, rawBurstMs };
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(rawDir, { recursive: true, force: true });
    }
  }
  console.log(`\nappend to a { dir } log (${APPENDS} appends each, fsync per append)`);
  printTable(['appends of', 'log records/s', 'raw fsync records/s', 'raw + dir fsync', 'raw append + fdatasync', 'log / raw', 'log / raw + dir', 'log / raw append'], rows);
  console.log(`\nthe same ${APPENDS} appends issued at once (a burst), each acknowledged once durable`);
  printTable(['appends of', 'log records/s', 'raw append + fdatasync each, at once', 'log / raw'], burstRows);
}

// 1b. Append throughput to an IndexedDB log in Chromium.
async function appendThroughputIdb(): Promise<void> {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const snapshot = existsSync(join(here, 'node_modules/weir/dist/browser.js')) ? here : undefined;
  const out = mkdtempSync(join(tmpdir(), 'weir-bench-log-page-'));
  const profile = mkdtempSync(join(tmpdir(), 'weir-bench-log-profile-'));
  let server: { url: string; close(): Promise<void> } | undefined;
  let context: Awaited<ReturnType<typeof chromium.launchPersistentContext>> | undefined;
  try {
    await bundlePage(process.cwd(), out, [{ in: 'bench/log-idb/app.ts', out: 'app' }], weirFrom(snapshot));
    const { findChrome } = (await import(pathToFileURL(join(process.cwd(), 'scripts/find-chrome.mjs')).href)) as { findChrome(): string };
    context = await chromium.launchPersistentContext(profile, { executablePath: findChrome(), headless: true, args: CHROMIUM_ARGS });
    server = await serve(out);
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(server.url);
    await page.waitForFunction(() => document.title === 'ready', undefined, { timeout: 30_000 });
    type Times = { ms: number; rawMs?: number; rawCommitMs?: number; rawCheckedMs?: number; rawWaitingMs?: number; requestsPerAppend?: number };
    const append = (variant: 'one-after-another' | 'weir-burst' | 'raw-burst' | 'raw-one-tx', size: number, round: number) => page.evaluate(
      ([v, s, a, r]) => (globalThis as unknown as { weirLog: { append(v: string, s: number, a: number, r: number): Promise<Times> } }).weirLog.append(v, s, a, r),
      [variant, size, APPENDS, round] as const,
    );
    const rows: string[][] = [];
    const burstRows: string[][] = [];
    const rate = (records: number, ms: number) => (records / (ms / 1000)).toFixed(0);
    for (const size of [1, 100]) {
      const variants = ['one-after-another', 'weir-burst', 'raw-burst', 'raw-one-tx'] as const;
      for (const v of variants) await append(v, size, -1); // warm-up of all (JIT, database creation)
      const ms = new Map<string, number[]>(['weir', 'raw', 'rawCommit', 'rawChecked', 'rawWaiting', ...variants.slice(1)].map((v) => [v, []]));
      const requestsPerAppend: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        for (const v of variants) {
          const r = await append(v, size, round);
          ms.get(v === 'one-after-another' ? 'weir' : v)!.push(r.ms);
          if (r.rawMs !== undefined) ms.get('raw')!.push(r.rawMs);
          if (r.rawCommitMs !== undefined) ms.get('rawCommit')!.push(r.rawCommitMs);
          if (r.rawCheckedMs !== undefined) ms.get('rawChecked')!.push(r.rawCheckedMs);
          if (r.rawWaitingMs !== undefined) ms.get('rawWaiting')!.push(r.rawWaitingMs);
          if (r.requestsPerAppend !== undefined) requestsPerAppend.push(r.requestsPerAppend);
        }
      }
      const records = APPENDS * size;
      const m = (v: string) => median(ms.get(v)!);
      const range = (v: string) => {
        const ratios = ms.get('weir')!.map((w, i) => ms.get(v)![i]! / w);
        return `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`;
      };
      rows.push([`${size} record(s) per append`, rate(records, m('weir')), rate(records, m('raw')), rate(records, m('rawCommit')), rate(records, m('rawChecked')), rate(records, m('rawWaiting')),
        (m('raw') / m('weir')).toFixed(2), range('raw'), (m('rawCommit') / m('weir')).toFixed(2), range('rawCommit'), (m('rawChecked') / m('weir')).toFixed(2), (m('rawWaiting') / m('weir')).toFixed(2),
        (m('weir') / APPENDS).toFixed(3), median(requestsPerAppend).toFixed(2)]);
      burstRows.push([`${size} record(s) per append`, rate(records, m('weir-burst')), rate(records, m('raw-burst')), rate(records, m('raw-one-tx')),
        (m('raw-burst') / m('weir-burst')).toFixed(2), (m('raw-one-tx') / m('weir-burst')).toFixed(2)]);
      results[`idb-append-${size}`] = { appends: APPENDS, rounds: ROUNDS, requestsPerAppend, ...Object.fromEntries([...ms].map(([v, t]) => [`${v}Ms`, t])) };
    }
    console.log(`\nappend to an IndexedDB log in Chromium ${context.browser()?.version() ?? ''} (${APPENDS} appends each, one after another, log and the raw ways interleaved in slices of 20, median of ${ROUNDS} rounds, page thread, persistent profile)`);
    printTable(['appends of', 'log records/s', 'raw put', 'raw put + commit()', 'raw: add, get floor, commit()', 'raw: getKey, add, commit() once answered', 'log / raw', 'rounds', 'log / raw + commit()', 'rounds', 'log / its requests', 'log / the waiting claim', 'log ms per append', 'log IDB calls per append'], rows);
    console.log(`\nthe same ${APPENDS} appends issued at once (a burst), each acknowledged once durable`);
    printTable(['appends of', 'log records/s', 'raw, a tx per append', 'raw, one tx for all', 'log / raw', 'log / one tx'], burstRows);
  } catch (error) {
    console.log(`\nappend to an IndexedDB log in Chromium: not measured (${error instanceof Error ? error.message : String(error)})`);
  } finally {
    await server?.close();
    await context?.close();
    rmSync(out, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  }
}

// 2. readTable after 10,000 commits.
async function readAfterCommits(): Promise<void> {
  const COMMITS = 10_000;
  const PER = 10;
  const build = async (compact: boolean) => {
    const storage = new MemoryCheckpointStorage();
    const sink = sinks.table<ReturnType<typeof click>>('t');
    const ctx: SinkContext = { jobName: `bench-${compact}`, sinkUid: 't', subtaskIndex: 0, parallelism: 1, storage, attemptId: 'a1', ...operatorStateAccess(new OperatorStateStore()) };
    const writer = sink.createWriter(ctx);
    const committer = sink.createCommitter!(ctx) as Committer<unknown>;
    const t = performance.now();
    for (let c = 1; c <= COMMITS; c++) {
      for (let i = 0; i < PER; i++) writer.write(click((c - 1) * PER + i));
      const committable = writer.prepareCommit(c)!;
      await writer.flush?.();
      await committer.commit([committable]);
      if (compact && c > 1) await sink.postCommit!({ jobName: ctx.jobName, sinkUid: 't', storage, fence: { key: 'bench/no-fence', equals: undefined }, attemptId: 'a1' }, c - 1);
    }
    return { storage, jobName: ctx.jobName, buildMs: performance.now() - t };
  };
  const timeRead = async (read: () => Promise<unknown[]>) => {
    const times: number[] = [];
    let rows = 0;
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      rows = (await read()).length;
      times.push(performance.now() - t);
    }
    return { ms: median(times), rows };
  };
  const compacted = await build(true);
  const plain = await build(false);
  const one = new MemoryCheckpointStorage();
  await one.putChunk('one', encodeChunk('sink-transaction', Array.from({ length: COMMITS * PER }, (_, i) => click(i))));
  const c = await timeRead(() => readTable(compacted.jobName, 't', { storage: compacted.storage }));
  const p = await timeRead(() => readTable(plain.jobName, 't', { storage: plain.storage }));
  const o = await timeRead(async () => decodeChunk((await one.getChunk('one'))!, 'sink-transaction').payload as unknown[]);
  const records = (await compacted.storage.listMetadata(`jobs/${compacted.jobName}/`)).length;
  console.log(`\nreadTable of a ${COMMITS * PER}-row table after ${COMMITS} commits (memory storage; median of 5)`);
  printTable(['read', 'rows', 'ms', '× one value'], [
    ['compacted (post-commit each commit)', String(c.rows), c.ms.toFixed(1), (c.ms / o.ms).toFixed(2)],
    ['not compacted', String(p.rows), p.ms.toFixed(1), (p.ms / o.ms).toFixed(2)],
    ['one value (baseline)', String(o.rows), o.ms.toFixed(1), '1.00'],
  ]);
  console.log(`compacted table: ${records} metadata records left; build ${compacted.buildMs.toFixed(0)} ms compacted vs ${plain.buildMs.toFixed(0)} ms not`
    + ` (the post-commit step: ${((compacted.buildMs - plain.buildMs) / COMMITS).toFixed(3)} ms per commit)`);
  results.readTable = { compactedMs: c.ms, plainMs: p.ms, oneValueMs: o.ms, metadataLeft: records, buildCompactedMs: compacted.buildMs, buildPlainMs: plain.buildMs };
}

// 3. append → watchTable latency.
async function latency(): Promise<void> {
  const rows: string[][] = [];
  for (const intervalMs of [100, 1000]) {
    for (const retained of [1, 2]) {
      const storage = new MemoryCheckpointStorage();
      const name = `bench-latency-${intervalMs}-${retained}`;
      const log = await openLog<{ id: number }>(name, { storage });
      const handle = await run(job(name, (env) => {
        env.fromSource(sources.log<{ id: number }>(name), { uid: 'log' }).sinkTo(sinks.table('out'), { uid: 'out' });
      }), { storage, checkpointing: { intervalMs, retained } });
      const appendedAt = new Map<number, number>();
      const latencies: number[] = [];
      let waiting: (() => void) | undefined;
      const stop = watchTable<{ id: number }>(name, 'out', (u) => {
        const now = performance.now();
        for (const r of u.changes) {
          const at = appendedAt.get(r.id);
          if (at !== undefined) latencies.push(now - at);
        }
        if (latencies.length >= appendedAt.size) waiting?.();
      }, { storage, recheckMs: 0 });
      for (let i = 0; i < SAMPLES; i++) {
        await new Promise((resolve) => setTimeout(resolve, Math.random() * intervalMs)); // appends at random phases of the interval
        await log.append({ id: i });
        appendedAt.set(i, performance.now());
        await new Promise<void>((resolve) => {
          waiting = resolve;
          if (latencies.length >= appendedAt.size) resolve();
        });
      }
      stop();
      await handle.cancel();
      const sorted = [...latencies].sort((a, b) => a - b);
      const p99 = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)]!;
      rows.push([`${intervalMs} ms, retained ${retained}`, median(latencies).toFixed(0), p99.toFixed(0), (intervalMs + 50).toFixed(0)]);
      results[`latency-${intervalMs}-${retained}`] = { samples: latencies.length, medianMs: median(latencies), p99Ms: p99 };
    }
  }
  console.log(`\nappend → watchTable latency (${SAMPLES} samples each, in-process job, memory storage)`);
  printTable(['checkpoints every', 'median ms', 'p99 ms', 'aim p99 ≤'], rows);
}

// WEIR_BENCH_PARTS=idb (or fs, read, latency; comma-separated) runs only those parts.
const parts = new Set((process.env.WEIR_BENCH_PARTS ?? 'fs,idb,read,latency').split(','));
if (parts.has('fs')) await appendThroughput();
if (parts.has('idb')) await appendThroughputIdb();
if (parts.has('read')) await readAfterCommits();
if (parts.has('latency')) await latency();
results.loadAfter = loadAverage();
console.log(`\nload average ${String(results.loadBefore)} → ${String(results.loadAfter)}; saved ${saveResults('log', results)}`);
