// Input logs in Chromium (Web Workers, the real IndexedDB): a page appends while its job reads, and
// is reloaded at random moments (after an awaited checkpoint, mid-append); two tabs append at once;
// retention shrinks the store. The app is bundled here with esbuild, as an app would be.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { build } from 'esbuild';
import type { BrowserContext, Page } from 'playwright-core';
import { staticFiles } from '../../scripts/static-files.mjs';
import { seededRandom } from '../support/seeded-random.js';
import { launchProfile, repoRoot, watchPage } from './playground-harness.js';
import type { Click } from './fixtures/log-app/log-app.job.js';

interface App {
  append(records: Click[], partition?: number): Promise<{ partition: number; offsets: number[] }>;
  status(): string;
  completedCheckpoints(): number;
  restores(): (number | null)[];
  end(): Promise<void>;
  done(): Promise<string>;
  table<T>(name: string): Promise<T[]>;
  batchCount(): Promise<number>;
  batchStarts(partition: number): Promise<number[]>;
  readFresh(name: string): Promise<{ status: string; rows: Click[] }>;
  updates(): { checkpointId: number; totals: [string, number][]; changes: number; reset: boolean }[];
  watchErrors(): string[];
}
type AppWindow = { __app: App };

let outdir = '';
let server: Server;
let base = '';

/** What the app's sinks.http delivered to POST /ingest: the records of each key, once; some requests fail first. */
const ingest = { accepted: new Map<string, Click[]>(), bodies: new Map<string, string>(), faults: 0, repeats: 0, different: 0, requests: 0 };

function resetIngest(): void {
  ingest.accepted.clear();
  ingest.bodies.clear();
  Object.assign(ingest, { faults: 0, repeats: 0, different: 0, requests: 0 });
}

function serveIngest(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    if (++ingest.requests % 5 === 0) {
      ingest.faults++;
      res.writeHead(503).end();
      return;
    }
    const key = String(req.headers['idempotency-key'] ?? '');
    const body = Buffer.concat(chunks).toString('utf8');
    const seen = ingest.bodies.get(key);
    if (seen === undefined) {
      ingest.bodies.set(key, body);
      ingest.accepted.set(key, JSON.parse(body) as Click[]);
    } else if (seen === body) ingest.repeats++;
    else ingest.different++;
    res.writeHead(200).end();
  });
}

before(async () => {
  const root = repoRoot();
  outdir = mkdtempSync(join(tmpdir(), 'weir-log-app-'));
  await build({
    absWorkingDir: root,
    entryPoints: [
      { in: 'test/e2e/fixtures/log-app/main.ts', out: 'main' },
      { in: 'test/e2e/fixtures/log-app/log-app.job.ts', out: 'log-app.job' },
      { in: 'weir/worker', out: 'weir-worker' },
    ],
    tsconfigRaw: '{}', // the package as an app sees it (the repository's tsconfig maps 'weir' to src/)
    conditions: ['browser'], bundle: true, splitting: true, format: 'esm', platform: 'browser', target: 'es2022', outdir, logLevel: 'warning',
  });
  await copyFile(join(root, 'test/e2e/fixtures/log-app/index.html'), join(outdir, 'index.html'));
  const files = staticFiles(outdir);
  server = createServer((req, res) => (req.method === 'POST' && req.url === '/ingest' ? serveIngest(req, res) : files(req, res)));
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

after(async () => {
  server?.closeAllConnections();
  await new Promise((ok) => server?.close(ok));
});

async function openApp(context: BrowserContext, query = ''): Promise<Page> {
  const page = context.pages()[0] ?? await context.newPage();
  await page.goto(`${base}${query}`);
  await page.waitForFunction(() => document.title === 'ready' || document.title === 'error');
  assert.equal(await page.title(), 'ready', await page.textContent('body') ?? '');
  return page;
}

const app = <T>(page: Page, call: (app: App, arg: unknown) => Promise<T> | T, arg?: unknown): Promise<T> =>
  page.evaluate(([source, a]) => new Function('app', 'arg', `return (${source})(app, arg)`)((window as unknown as AppWindow).__app, a), [call.toString(), arg] as const);

/** Waits (polling the page, no sleep in the test's logic) until the page's job completed one more checkpoint. */
async function nextCheckpoint(page: Page): Promise<void> {
  const now = await app(page, (a) => a.completedCheckpoints());
  await page.waitForFunction((n) => (window as unknown as AppWindow).__app.completedCheckpoints() > n, now, { timeout: 30_000 });
}

describe('input logs in Chromium', () => {
  for (const seed of [1, 2]) {
    it(`seed ${seed}: a page appends while its job runs, reloaded 6 times at random moments: every acknowledged append counted exactly once, delivered once over HTTP, and a second tab's watchTable never goes back`, async () => {
      const random = seededRandom(seed);
      resetIngest();
      const context = await launchProfile(mkdtempSync(join(tmpdir(), 'weir-log-profile-')));
      try {
        const page = await openApp(context);
        const { problems } = watchPage(page);
        const watcher = await context.newPage();
        await watcher.goto(`${base}?mode=watch`);
        await watcher.waitForFunction(() => document.title === 'ready');
        const acked = new Set<number>();
        const sent = new Set<number>();
        let next = 0;
        const batch = (): Click[] => Array.from({ length: 1 + Math.floor(random() * 20) }, () => ({ id: next++, area: `area-${Math.floor(random() * 5)}` }));
        let reloads = 0;
        let resumed = 0;
        while (reloads < 6) {
          const appends = 3 + Math.floor(random() * 10);
          for (let i = 0; i < appends; i++) {
            const records = batch();
            for (const r of records) sent.add(r.id);
            await app(page, (a, r) => a.append(r as Click[]), records);
            for (const r of records) acked.add(r.id);
          }
          await nextCheckpoint(page); // the reload comes after an awaited checkpoint ...
          const inFlight = batch(); // ... with an append in flight: it may land or not, but never half or twice
          for (const r of inFlight) sent.add(r.id);
          const pending = app(page, (a, r) => a.append(r as Click[]), inFlight).then(() => inFlight.forEach((r) => acked.add(r.id)), () => undefined);
          await page.reload();
          await pending;
          reloads++;
          await page.waitForFunction(() => document.title === 'ready' || document.title === 'error');
          assert.equal(await page.title(), 'ready');
          await page.waitForFunction(() => (window as unknown as AppWindow).__app.restores().length > 0);
          if ((await app(page, (a) => a.restores()))[0] !== null) resumed++;
        }
        for (let i = 0; i < 3; i++) {
          const records = batch();
          for (const r of records) sent.add(r.id);
          await app(page, (a, r) => a.append(r as Click[]), records);
          for (const r of records) acked.add(r.id);
        }
        await app(page, (a) => a.end());
        assert.equal(await app(page, (a) => a.done()), 'finished');
        assert.equal(reloads, 6, 'six reloads');
        assert.equal(resumed, 6, 'each reload resumed from a checkpoint');
        const seen = await app(page, (a) => a.table<Click>('seen'));
        const ids = seen.map((c) => c.id);
        assert.equal(new Set(ids).size, ids.length, 'no record counted twice');
        for (const id of acked) assert.ok(ids.includes(id), `acknowledged record ${id} was counted`);
        for (const id of ids) assert.ok(sent.has(id), `record ${id} was sent`);
        const totals = await app(page, (a) => a.table<{ area: string; count: number }>('totals'));
        const expected = new Map<string, number>();
        for (const c of seen) expected.set(c.area, (expected.get(c.area) ?? 0) + 1);
        assert.deepEqual(new Map(totals.map((t) => [t.area, t.count])), expected, 'each area counted every record once');
        // The endpoint, de-duplicating by Idempotency-Key, got every record once.
        const posted = [...ingest.accepted.values()].flat().map((c) => c.id).sort((x, y) => x - y);
        assert.deepEqual(posted, [...ids].sort((x, y) => x - y), `sinks.http delivered every record once (${ingest.faults} requests failed first, ${ingest.repeats} keys sent again)`);
        assert.ok(ingest.faults > 0, 'the endpoint failed some requests');
        assert.equal(ingest.different, 0, 'a key sent again carried the same records');
        // The second tab saw the final totals, and never a total go backwards, through six reloads of the first.
        await watcher.waitForFunction((n) => {
          const last = (window as unknown as AppWindow).__app.updates().at(-1);
          return last !== undefined && last.totals.reduce((sum, [, count]) => sum + count, 0) === n;
        }, ids.length, { timeout: 30_000 });
        const updates = await app(watcher, (a) => a.updates());
        assert.deepEqual(await app(watcher, (a) => a.watchErrors()), []);
        const shown = new Map<string, number>();
        for (const u of updates) {
          assert.equal(u.reset, false, 'no update took rows back');
          for (const [area, count] of u.totals) {
            assert.ok(count >= (shown.get(area) ?? 0), `area ${area}: ${shown.get(area)} then ${count}`);
            shown.set(area, count);
          }
        }
        assert.ok(updates.length >= 3, `the watcher heard several commits (${updates.length} updates)`);
        assert.deepEqual(new Map(updates.at(-1)!.totals), expected);
        assert.deepEqual(problems.filter((p) => !/HTTP 503 .*\/ingest$/.test(p)), [], 'no problem but the endpoint\'s own 503s');
      } finally {
        await context.close();
      }
    });
  }

  it('two tabs append to one partition in turn, each finding its cached end taken by the other: every claim that lost is counted, offsets dense and unique, nothing lost', async () => {
    const context = await launchProfile(mkdtempSync(join(tmpdir(), 'weir-log-stale-')));
    // The fault: IndexedDB refusing a batch's add() because another tab wrote that offset since this
    // tab's last append (its cached end is stale). Counted where it happens, in each page.
    await context.addInitScript(() => {
      const add = IDBObjectStore.prototype.add;
      const w = window as unknown as { __lostClaims: number };
      w.__lostClaims = 0;
      IDBObjectStore.prototype.add = function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
        const request = add.call(this, value, key);
        if (typeof key === 'string' && key.includes('/batches/')) request.addEventListener('error', () => { if (request.error?.name === 'ConstraintError') w.__lostClaims++; });
        return request;
      };
    });
    try {
      const first = await openApp(context, '?mode=append');
      const second = await context.newPage();
      await second.goto(`${base}?mode=append`);
      await second.waitForFunction(() => document.title === 'ready');
      const ROUNDS = 12;
      const offsets: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        for (const [tab, page] of [[1, first], [2, second]] as const) {
          const r = await app(page, (a, arg) => a.append([{ id: (arg as number[])[0]!, area: `tab-${(arg as number[])[1]!}` }], 0), [tab * 1000 + round, tab]);
          assert.equal(r.partition, 0);
          offsets.push(...r.offsets);
        }
      }
      // Each append after a tab's first finds the other tab's batch where its cached end was: one lost claim each.
      const lost = async (page: Page) => page.evaluate(() => (window as unknown as { __lostClaims: number }).__lostClaims);
      assert.equal(await lost(first) + await lost(second), 2 * (ROUNDS - 1), 'one lost claim per append after each tab\'s first');
      assert.deepEqual(offsets, Array.from({ length: 2 * ROUNDS }, (_, i) => i), 'offsets dense and unique, in the order acknowledged');
      await second.close();
      await first.goto(base);
      await first.waitForFunction(() => document.title === 'ready');
      await app(first, (x) => x.end());
      assert.equal(await app(first, (x) => x.done()), 'finished');
      const seen = await app(first, (x) => x.table<Click>('seen'));
      const expected = [1, 2].flatMap((tab) => Array.from({ length: ROUNDS }, (_, round) => tab * 1000 + round));
      assert.deepEqual(seen.map((c) => c.id).sort((a, b) => a - b), expected.sort((a, b) => a - b), 'the job read every record of both tabs once');
    } finally {
      await context.close();
    }
  });

  it('a tab whose cached end is older than what retention deleted: its claim commits one stray below the floor, never acknowledged there, never read by a fresh or a restored job; every record once', async () => {
    const context = await launchProfile(mkdtempSync(join(tmpdir(), 'weir-log-strays-')));
    // Counted where it happens: every batch whose add() IndexedDB accepted in the page (a claim that
    // committed), and the page's deletes of batches refused on demand (the tab closing right after
    // its claim committed, before it could take its stray back), so that the stray stays for readers.
    await context.addInitScript(() => {
      const w = window as unknown as { __added: string[]; __blockDeletes: boolean };
      w.__added = [];
      w.__blockDeletes = false;
      const add = IDBObjectStore.prototype.add;
      IDBObjectStore.prototype.add = function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
        const request = add.call(this, value, key);
        if (typeof key === 'string' && key.includes('/batches/')) request.addEventListener('success', () => w.__added.push(key));
        return request;
      };
      const remove = IDBObjectStore.prototype.delete;
      IDBObjectStore.prototype.delete = function (this: IDBObjectStore, key: IDBValidKey | IDBKeyRange) {
        if (w.__blockDeletes && typeof key === 'string' && key.includes('/batches/')) throw new DOMException('the tab is closing', 'AbortError');
        return remove.call(this, key);
      };
    });
    try {
      const stale = await openApp(context, '?mode=append');
      const runner = await context.newPage();
      await runner.goto(base);
      await runner.waitForFunction(() => document.title === 'ready');
      const append = async (page: Page, id: number) => (await app(page, (a, i) => a.append([{ id: i as number, area: 'p0' }], 0), id)).offsets[0]!;
      assert.equal(await append(stale, 1), 0);
      for (let i = 0; i < 10; i++) assert.equal(await append(runner, 100 + i), 1 + i);
      // The job reads them and its retention deletes what its checkpoints passed: wait until the stale tab's end (1) is gone.
      let starts = await app(runner, (a) => a.batchStarts(0));
      for (let checkpoints = 0; Math.min(...starts) <= 1 && checkpoints < 200; checkpoints++) {
        await nextCheckpoint(runner);
        starts = await app(runner, (a) => a.batchStarts(0));
      }
      const floor = Math.min(...starts);
      assert.ok(floor > 1, `retention deleted past the stale tab's end (oldest kept: ${floor})`);
      await stale.evaluate(() => { (window as unknown as { __blockDeletes: boolean }).__blockDeletes = true; });
      const late = await append(stale, 2);
      await stale.evaluate(() => { (window as unknown as { __blockDeletes: boolean }).__blockDeletes = false; });
      assert.equal(late, 11, 'acknowledged at the end of the partition, not at its stale end (1) below the floor');
      const added = await stale.evaluate(() => (window as unknown as { __added: string[] }).__added.map((k) => Number(k.slice(k.lastIndexOf('/') + 1))));
      assert.deepEqual(added.filter((start) => start !== late), [1], 'exactly one batch committed and not acknowledged: the stray at the stale end');
      assert.ok((await app(runner, (a) => a.batchStarts(0))).includes(1), 'the stray is still there (its tab did not take it back)');
      // Offsets: 0 → id 1, 1–10 → ids 100–109, 11 → id 2. The job stops (its tab appends only), the log ends.
      const idAt = (offset: number) => (offset === 0 ? 1 : offset === 11 ? 2 : 99 + offset);
      await runner.goto(`${base}?mode=append`);
      await runner.waitForFunction(() => document.title === 'ready');
      await app(stale, (a) => a.end());
      const kept = (await app(stale, (a) => a.batchStarts(0))).filter((start) => start >= floor && start <= late); // not the end marker after them
      const fresh = await app(stale, (a, name) => a.readFresh(name as string), 'fresh-reader');
      assert.equal(fresh.status, 'finished');
      assert.deepEqual(fresh.rows.map((c) => c.id), kept.map(idAt), 'a fresh job read the kept records once, in order, and not the stray below them');
      // The job restored from its checkpoint reads on to the end: every record once.
      await runner.goto(base);
      await runner.waitForFunction(() => document.title === 'ready');
      assert.equal(await app(runner, (a) => a.done()), 'finished');
      const restores = await app(runner, (a) => a.restores());
      assert.ok(restores.length > 0 && restores[0] !== null, `the job was restored from a checkpoint (${JSON.stringify(restores)})`);
      const seen = (await app(runner, (a) => a.table<Click>('seen'))).map((c) => c.id).sort((x, y) => x - y);
      assert.deepEqual(seen, [1, 2, ...Array.from({ length: 10 }, (_, i) => 100 + i)], 'the restored job counted every record once');
    } finally {
      await context.close();
    }
  });

  it('two tabs append to one log at once: nothing lost, offsets unique; retention then shrinks the store', async () => {
    const context = await launchProfile(mkdtempSync(join(tmpdir(), 'weir-log-tabs-')));
    try {
      const first = await openApp(context, '?mode=append');
      const second = await context.newPage();
      await second.goto(`${base}?mode=append`);
      await second.waitForFunction(() => document.title === 'ready');
      const appendMany = (page: Page, tab: number) => app(page, async (a, t) => {
        const results: { partition: number; offsets: number[] }[] = [];
        const pending = [];
        for (let i = 0; i < 40; i++) pending.push(a.append([{ id: (t as number) * 1000 + i, area: `tab-${t as number}` }]).then((r) => results.push(r)));
        await Promise.all(pending);
        return results;
      }, tab);
      const [a, b] = await Promise.all([appendMany(first, 1), appendMany(second, 2)]);
      const offsets = [...a, ...b].map((r) => `${r.partition}:${r.offsets[0]}`);
      assert.equal(new Set(offsets).size, 80, 'eighty appends, eighty distinct offsets');
      const stored = await app(first, (x) => x.batchCount());
      // Each tab issued its 40 appends in one task: they share writes (group commit), never one per append.
      assert.ok(stored >= 2 && stored < 80, `appends made together share stored batches (${stored} batches for 80 appends)`);
      await second.close();
      // The reading job: it passes every record, and retention deletes what its checkpoints passed.
      await first.goto(base);
      await first.waitForFunction(() => document.title === 'ready');
      await app(first, (x) => x.append([{ id: 5000, area: 'late' }]));
      // Retention runs at checkpoint completions (at most once a second per reader): wait for checkpoints, not for time.
      const before = stored + 1;
      let left = before;
      for (let checkpoints = 0; left >= before && checkpoints < 200; checkpoints++) {
        await nextCheckpoint(first);
        left = await app(first, (x) => x.batchCount());
      }
      assert.ok(left < before, `retention shrank the store (${left} of ${before} batches left)`);
      await app(first, (x) => x.end());
      assert.equal(await app(first, (x) => x.done()), 'finished');
      const seen = await app(first, (x) => x.table<Click>('seen'));
      assert.equal(seen.length, 81, 'the job read every record of both tabs once');
    } finally {
      await context.close();
    }
  });
});
