// Helpers for the playground's end-to-end tests (playground.test.ts): the playground server
// (scripts/serve-playground.mjs, as `npm start` runs it), Chromium on a persistent profile
// (TOOLCHAIN.md §2), the page's machine-readable state (window.__weir, see playground/src/page-state.ts),
// the exactly-once check of what it committed, and corrupting a stored checkpoint chunk in IndexedDB.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { repoRoot, startServer, type RunningServer } from './harness.js';
import type { PlaygroundState } from '../../playground/src/page-state.js';

export { repoRoot };

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The page's state, as playground/src/main.ts keeps it in window.__weir (the log cut to its tail). */
export type { PlaygroundState };

export interface CountRow {
  key: string;
  count: number;
  sum: number;
}

/**
 * `node scripts/serve-playground.mjs --no-build --outdir <outdir>` with PORT=0 (dist/ is already
 * built: npm test builds it first); resolves once it prints its URL.
 */
export function startPlaygroundServer(root: string, outdir: string): Promise<RunningServer> {
  return startServer('serve-playground', [join(root, 'scripts/serve-playground.mjs'), '--no-build', '--outdir', outdir], {
    cwd: root, env: { PORT: '0' }, urlPattern: /playground: (http:\/\/127\.0\.0\.1:\d+\/)/, timeoutMs: 60_000,
  });
}

/** Chromium on a persistent profile in `userDataDir` (relaunching on the same folder keeps IndexedDB). */
export function launchProfile(userDataDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROME_PATH || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
  });
}

/** Console errors, page errors and failed requests of a page (the favicon's aside), kept as they happen. */
export function watchPage(page: Page, label = 'page'): { problems: string[]; consoleErrors: string[] } {
  const problems: string[] = [];
  const consoleErrors: string[] = [];
  const isFavicon = (u: string) => { try { return new URL(u).pathname === '/favicon.ico'; } catch { return false; } };
  page.on('pageerror', (e) => problems.push(`${label}: page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error' || isFavicon(m.location().url)) return;
    consoleErrors.push(`${label}: console error: ${m.text()} (${m.location().url})`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !isFavicon(r.url())) problems.push(`${label}: HTTP ${r.status()} ${r.url()}`);
  });
  return { problems, consoleErrors };
}

/** The playground's URL with parameters: settings of the example (name, records, rate, keys of 'counting'), example, autorun. */
export function playgroundUrl(base: string, params: Record<string, string | number>): string {
  const url = new URL(base);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, String(v));
  return url.href;
}

/** window.__weir now, or undefined while the page (re)loads. */
export async function readState(page: Page): Promise<PlaygroundState | undefined> {
  try {
    return await page.evaluate(() => {
      const s = (window as unknown as { __weir?: PlaygroundState }).__weir;
      return s === undefined ? undefined : { ...s, log: s.log.slice(-20) };
    });
  } catch {
    return undefined; // the execution context went away (a navigation): ask again
  }
}

function brief(s: PlaygroundState | undefined): string {
  if (s === undefined) return 'no window.__weir (the page did not start)';
  const { log, checkpoints, plan, rates, ...rest } = s;
  return `${JSON.stringify({ ...rest, checkpoints: checkpoints.slice(-5).map(({ subtasks, ...c }) => ({ ...c, subtasks: subtasks.length })), vertices: plan?.vertices.length ?? null })}\nlast events:\n  ${log.join('\n  ')}`;
}

/** Polls window.__weir until `predicate` holds; fails with the page's state (and its error box) otherwise. */
export async function waitForState(page: Page, what: string, predicate: (s: PlaygroundState) => boolean, timeoutMs = 30_000): Promise<PlaygroundState> {
  const deadline = Date.now() + timeoutMs;
  let last: PlaygroundState | undefined;
  for (;;) {
    last = await readState(page);
    if (last !== undefined && predicate(last)) return last;
    if (Date.now() > deadline) break;
    await sleep(100);
  }
  const errorBox = await page.textContent('#error').catch(() => null);
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\npage state: ${brief(last)}${errorBox ? `\nthe page's error box: ${errorBox}` : ''}`);
}

/**
 * Polls what `read` returns (an element's text or attribute) until it matches `pattern`; fails with
 * what it showed last. The page draws its state (window.__weir) on a timer, 50 ms after it changes
 * and later on a loaded machine, so what the DOM shows must be waited for, not read once.
 */
export async function waitForDom(what: string, read: () => Promise<string | null>, pattern: RegExp, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last: string | null = null;
  for (;;) {
    last = await read().catch(() => null); // null while the page navigates
    if (last !== null && pattern.test(last)) return last;
    if (Date.now() > deadline) break;
    await sleep(50);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} to match ${pattern}; it shows ${JSON.stringify(last)}`);
}

/** `waitForDom` for the text of the element `selector`. */
export function waitForText(page: Page, selector: string, pattern: RegExp, timeoutMs?: number): Promise<string> {
  return waitForDom(`the text of ${selector}`, () => page.textContent(selector), pattern, timeoutMs);
}

/** The job ran to the end in this page and the page read its tables afterwards. */
export function finished(page: Page, timeoutMs = 40_000): Promise<PlaygroundState> {
  return waitForState(page, 'the job to finish (and the page to read its tables)', (s) => s.verified || s.status === 'failed' || s.status === 'error', timeoutMs);
}

/** The committed tables, read through the page (readTable with the default storage). */
export async function readCommitted(page: Page): Promise<{ seen: number[]; counts: CountRow[] }> {
  return page.evaluate(async () => {
    const api = (window as unknown as { __weirApi: { readTable: (t: string) => Promise<unknown[]> } }).__weirApi;
    const [seen, counts] = await Promise.all([api.readTable('seen'), api.readTable('counts')]);
    return { seen: seen as number[], counts: counts as CountRow[] };
  });
}

/** Every number 0..records-1 exactly once in 'seen', and 'counts' exactly the count and sum per key. */
export function assertExactlyOnce(committed: { seen: number[]; counts: CountRow[] }, records: number, keys: number, what: string): void {
  const { seen, counts } = committed;
  const times = new Map<number, number>();
  for (const n of seen) times.set(n, (times.get(n) ?? 0) + 1);
  const twice = [...times].filter(([, c]) => c > 1).map(([n]) => n);
  const missing: number[] = [];
  for (let n = 0; n < records; n++) if (!times.has(n)) missing.push(n);
  const strays = [...times.keys()].filter((n) => !(Number.isInteger(n) && n >= 0 && n < records));
  assert.deepEqual(
    { rows: seen.length, duplicates: twice.length, missing: missing.length, strays: strays.length },
    { rows: records, duplicates: 0, missing: 0, strays: 0 },
    `${what}: 'seen' must hold every number once — committed twice: ${twice.slice(0, 10).join(', ')}${twice.length > 10 ? '…' : ''}; `
      + `missing: ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? '…' : ''}; not in the input: ${strays.slice(0, 10).join(', ')}`,
  );
  const expected = new Map<string, CountRow>();
  for (let n = 0; n < records; n++) {
    const key = `k${n % keys}`;
    const row = expected.get(key) ?? expected.set(key, { key, count: 0, sum: 0 }).get(key)!;
    row.count++;
    row.sum += n;
  }
  const byKey = (rows: CountRow[]) => [...rows].sort((a, b) => a.key.localeCompare(b.key)).map((r) => ({ key: r.key, count: r.count, sum: r.sum }));
  assert.deepEqual(byKey(counts), byKey([...expected.values()]), `${what}: 'counts' must be exact`);
}

/** The page's own checks agree: read after the end, no duplicates, nothing missing, the module's check passed, no error shown. */
export function assertPageVerified(s: PlaygroundState, what: string): void {
  assert.equal(s.status, 'finished', `${what}: the job's status\n${brief(s)}`);
  assert.equal(s.error, null, `${what}: the page shows an error`);
  assert.deepEqual(
    { verified: s.verified, duplicates: s.duplicates, missing: s.missing, committed: s.committed, problem: s.problem },
    { verified: true, duplicates: 0, missing: 0, committed: s.expectedRows, problem: null },
    `${what}: what the page shows`,
  );
}

export async function screenshot(page: Page, root: string, name: string): Promise<string> {
  const path = join(root, 'test-artifacts', `playground-${name}.png`);
  mkdirSync(join(root, 'test-artifacts'), { recursive: true });
  await page.screenshot({ path, fullPage: true });
  return path;
}

export interface Corruption {
  database: string;
  stores: string[];
  /** Completed checkpoints of the job found in storage (metadata records), ascending. */
  completed: number[];
  /** The checkpoint whose chunk was corrupted (the latest completed) and the one before it. */
  latest: number;
  previous: number | null;
  key: string;
  byteIndex: number;
  chunkBytes: number;
}

/**
 * In a page of the playground's origin where no job runs: flips one byte in the middle of a chunk
 * that the job's latest completed checkpoint wrote, in IndexedDB (database 'weir', store 'chunks').
 * The layout is src/state/backends/indexeddb-storage.ts's: stores 'chunks' and 'metadata', out-of-line
 * keys (the storage keys of src/state/storage-layout.ts), Uint8Array values; a value that keeps its
 * bytes in a field, or a store with a key path, is handled too.
 * The checkpoint is found from the metadata records (a key `jobs/<job>/checkpoints/<id>` in any other
 * store), or from `hint` (the page's last completed checkpoint) when there are none. The chunk chosen
 * is one of the keyed running count's (uid 'running-count'), which every restore reads, else the largest.
 */
export async function corruptLatestCheckpointChunk(page: Page, jobName: string, hint: number | null): Promise<Corruption> {
  const result = await page.evaluate(async ({ jobName, hint }) => {
    const DB = 'weir';
    const CHUNKS = 'chunks';
    const known = await indexedDB.databases();
    if (!known.some((d) => d.name === DB)) {
      return { error: `there is no IndexedDB database '${DB}' in this origin (databases: ${JSON.stringify(known.map((d) => d.name))}): is IndexedDB the browser's default storage yet?` };
    }
    const db = await new Promise<IDBDatabase>((ok, fail) => {
      const req = indexedDB.open(DB);
      req.onsuccess = () => ok(req.result);
      req.onerror = () => fail(req.error);
      req.onblocked = () => fail(new Error('blocked'));
    });
    const request = <T,>(r: IDBRequest<T>) => new Promise<T>((ok, fail) => {
      r.onsuccess = () => ok(r.result);
      r.onerror = () => fail(r.error);
    });
    try {
      const stores = Array.from({ length: db.objectStoreNames.length }, (_, i) => db.objectStoreNames.item(i)!);
      if (!stores.includes(CHUNKS)) return { error: `database '${DB}' has no store '${CHUNKS}' (stores: ${stores.join(', ')})` };
      const job = `jobs/${encodeURIComponent(jobName)}/`;
      const metaPattern = new RegExp(`^${job.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}checkpoints/(\\d+)$`);
      const completed = new Set<number>();
      for (const store of stores.filter((s) => s !== CHUNKS)) {
        const keys = await request(db.transaction(store).objectStore(store).getAllKeys());
        for (const k of keys) {
          const m = typeof k === 'string' ? metaPattern.exec(k) : null;
          if (m) completed.add(Number(m[1]));
        }
      }
      const ids = [...completed].sort((a, b) => a - b);
      const latest = ids.length > 0 ? ids[ids.length - 1]! : hint;
      if (latest === null || latest === undefined) return { error: `no completed checkpoint of '${jobName}' in storage (stores: ${stores.join(', ')})` };
      const previous = ids.length > 1 ? ids[ids.length - 2]! : null;
      const prefix = `${job}chunks/${String(latest).padStart(12, '0')}/`;
      const chunkKeys = (await request(db.transaction(CHUNKS).objectStore(CHUNKS).getAllKeys())).filter((k): k is string => typeof k === 'string' && k.startsWith(prefix));
      if (chunkKeys.length === 0) return { error: `no chunk under ${prefix} in '${CHUNKS}'`, stores, completed: ids };

      // A chunk's bytes, wherever the value keeps them: the value itself (a Blob, as IndexedDB storage
      // keeps chunks now, read below; or bytes), or a field of it.
      type Found = { get: () => Uint8Array; set: (b: Uint8Array) => unknown };
      const blobBytes = new Map<Blob, Uint8Array>();
      const locate = (value: unknown): Found | undefined => {
        if (value instanceof Blob) return { get: () => blobBytes.get(value)!, set: (b) => new Blob([b as Uint8Array<ArrayBuffer>]) };
        if (value instanceof Uint8Array) return { get: () => value, set: (b) => b };
        if (value instanceof ArrayBuffer) return { get: () => new Uint8Array(value), set: (b) => b.buffer };
        if (typeof value === 'object' && value !== null) {
          for (const [field, v] of Object.entries(value)) {
            if (v instanceof Uint8Array || v instanceof ArrayBuffer) {
              const inner = locate(v)!;
              return { get: inner.get, set: (b) => ({ ...(value as object), [field]: inner.set(b) }) };
            }
          }
        }
        return undefined;
      };
      const values = new Map<string, unknown>();
      for (const k of chunkKeys) {
        const value = await request(db.transaction(CHUNKS).objectStore(CHUNKS).get(k));
        if (value instanceof Blob) blobBytes.set(value, new Uint8Array(await value.arrayBuffer()));
        values.set(k, value);
      }
      const sized = chunkKeys.map((k) => ({ k, size: locate(values.get(k))?.get().byteLength ?? 0 })).filter((c) => c.size > 0);
      if (sized.length === 0) return { error: `the chunks under ${prefix} hold no bytes this test can find: ${Object.prototype.toString.call(values.get(chunkKeys[0]!))}` };
      const target = sized.find((c) => c.k.includes('/running-count/')) ?? sized.sort((a, b) => b.size - a.size)[0]!;
      const value = values.get(target.k);
      const found = locate(value)!;
      const bytes = new Uint8Array(found.get()); // a copy
      const byteIndex = Math.floor(bytes.byteLength / 2);
      bytes[byteIndex] = bytes[byteIndex]! ^ 0xff;
      const tx = db.transaction(CHUNKS, 'readwrite');
      const store = tx.objectStore(CHUNKS);
      if (store.keyPath === null) store.put(found.set(bytes), target.k);
      else store.put(found.set(bytes));
      await new Promise<void>((ok, fail) => {
        tx.oncomplete = () => ok();
        tx.onerror = () => fail(tx.error);
        tx.onabort = () => fail(tx.error ?? new Error('aborted'));
      });
      return { database: DB, stores, completed: ids, latest, previous, key: target.k, byteIndex, chunkBytes: bytes.byteLength };
    } finally {
      db.close();
    }
  }, { jobName, hint });
  if ('error' in result) throw new Error(`corrupting a chunk: ${result.error}`);
  return result as Corruption;
}

export const sleep = (ms: number) => new Promise<void>((ok) => setTimeout(ok, ms));
