// End to end: the playground's examples built on the input log. The page's part of the job module
// (its `page(panel)` export) appends to an input log (openLog, IndexedDB) — clicks on the page's areas,
// a timer-driven feed — and the job reads the log (sources.log) in Web Workers; the committed output
// shows live in the page (watchTable). A reload and a killed worker mid-stream, each after an awaited
// checkpoint: every acknowledged append is committed exactly once. The server's own live feed
// (Server-Sent Events, read with sources.sse) resumed by Last-Event-ID after a reload: every event
// once. Run by scripts/run-e2e-tests.mjs.
// Screenshots go to test-artifacts/playground-inputs-*.png.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { launchProfile, readState, repoRoot, screenshot, startPlaygroundServer, waitForDom, waitForState, watchPage } from './playground-harness.js';

const root = repoRoot();
let work: string;
let server: Awaited<ReturnType<typeof startPlaygroundServer>>;
let profiles = 0;

async function withPage<T>(body: (page: Page) => Promise<T>): Promise<T> {
  const context = await launchProfile(join(work, `profile-${++profiles}`));
  try {
    return await body(context.pages()[0] ?? (await context.newPage()));
  } finally {
    await context.close().catch(() => {});
  }
}

/** A seeded generator (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A number the page's part of the example keeps on #page-panel (data-appended: appends the log acknowledged, in this page). */
const panelData = (page: Page, name: string) => page.evaluate((n) => document.getElementById('page-panel')?.dataset[n] ?? null, name);
const waitForPanel = (page: Page, name: string, pattern: RegExp, timeoutMs = 15_000) => waitForDom(`#page-panel's data-${name}`, () => panelData(page, name), pattern, timeoutMs);
const atLeast = (n: number) => (v: string | null) => v !== null && Number(v) >= n;

/** Triggers a checkpoint through the job's handle and waits for it: resolves with the first one that completed. */
async function awaitCheckpoint(page: Page): Promise<number> {
  const outcomes: string[] = [];
  for (let attempt = 0; attempt < 20; attempt++) {
    const c = await page.evaluate(async () => {
      try {
        const stats = await window.__weirApi.handle()?.triggerCheckpoint();
        return stats ? { id: stats.id, status: stats.status as string } : { error: 'no job running' };
      } catch (error) {
        return { error: String(error) }; // declined while the job (re)starts: try again
      }
    });
    if ('id' in c && c.status === 'completed') return c.id;
    outcomes.push(JSON.stringify(c));
  }
  throw new Error(`no triggered checkpoint completed: ${outcomes.join('; ')}`);
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

const readTable = <T,>(page: Page, table: string) => page.evaluate((t) => window.__weirApi.readTable(t), table) as Promise<T[]>;

describe('playground: examples on the input log (openLog → sources.log → watchTable)', () => {
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'weir-playground-inputs-e2e-'));
    server = await startPlaygroundServer(root, join(work, 'site'));
  });

  after(async () => {
    await server?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('l. clicks: the page\'s clicks appended to a log, the tab reloaded mid-stream after an awaited checkpoint — every click counted once, live in watchTable', async (t) => {
    const AREAS = ['north-west', 'north', 'north-east', 'west', 'centre', 'east', 'south-west', 'south', 'south-east'];
    const random = seeded(11);
    const expected = new Map<string, number>();
    let clicks = 0;
    const burst = async (page: Page, n: number) => {
      for (let i = 0; i < n; i++) {
        const area = AREAS[Math.floor(random() * AREAS.length)]!;
        await page.click(`#page-panel [data-area="${area}"]`);
        expected.set(area, (expected.get(area) ?? 0) + 1);
        clicks++;
      }
    };
    await withPage(async (page) => {
      const watch = watchPage(page);
      await page.goto(`${server.url}?example=clicks`);
      await waitForState(page, 'the clicks job running', (s) => s.status === 'running' && s.jobName === 'clicks', 20_000);
      await burst(page, 12);
      await waitForPanel(page, 'appended', /^12$/);
      const checkpoint = await awaitCheckpoint(page);
      // More clicks, durable in the log, then the reload at once: the job may have read them but no
      // checkpoint holds them, so the resumed job reads them again from the checkpoint's offsets.
      await burst(page, 12);
      await waitForPanel(page, 'appended', /^24$/);
      await page.reload();
      const back = await waitForState(page, "the reloaded page: the job running, its 'restore' event", (s) => s.status === 'running' && s.restores.length > 0, 20_000);
      assert.ok(back.restores[0]!.checkpointId !== null && back.restores[0]!.checkpointId >= checkpoint,
        `resumed from checkpoint ${checkpoint} or later, not from the beginning: ${JSON.stringify(back.restores)}`);
      await burst(page, 12);
      await waitForPanel(page, 'appended', /^12$/); // this page's appends

      const end = await waitForState(page, `all ${clicks} clicks committed`, (s) => (s.committed ?? 0) >= clicks, 20_000);
      // watchTable (the panel's live counts) settles one checkpoint after the commit.
      await waitForPanel(page, 'committed', new RegExp(`^${clicks}$`), 20_000);
      const committed = await readTable<{ id: string; area: string }>(page, 'clicks');
      const perArea = await readTable<{ area: string; count: number }>(page, 'per-area');
      assert.deepEqual({ rows: committed.length, distinct: new Set(committed.map((c) => c.id)).size }, { rows: clicks, distinct: clicks }, 'every click committed once');
      const sorted = <T extends { area: string }>(rows: T[]) => [...rows].sort((a, b) => a.area.localeCompare(b.area));
      assert.deepEqual(sorted(perArea.map((r) => ({ area: r.area, count: r.count }))), sorted([...expected].map(([area, count]) => ({ area, count }))), 'the count per area is the clicks made there');
      const shown = (await page.evaluate(() => Array.from(document.querySelectorAll<HTMLElement>('#page-panel [data-area]'), (e) => e.textContent))).sort();
      assert.deepEqual(shown, AREAS.map((a) => `${a}: ${expected.get(a) ?? 0}`).sort(), 'the page shows the committed counts (watchTable)');
      assert.equal((await readState(page))?.duplicates, 0, 'the page counts no duplicate');
      assert.equal(end.problem, null, "the module's check agrees");
      t.diagnostic(`screenshot: ${await screenshot(page, root, 'inputs-clicks')}`);
      assert.deepEqual(watch.problems, [], 'no page error or failed request');
    });
  });

  it('m. a timer-driven feed appended to a log, a worker killed mid-stream after an awaited checkpoint, the feed going on — every acknowledged reading counted once', async (t) => {
    await withPage(async (page) => {
      const watch = watchPage(page);
      await page.goto(`${server.url}?example=log-feed`);
      await waitForState(page, 'the feed job running', (s) => s.status === 'running' && s.jobName === 'log-feed', 20_000);
      await waitForDom('100 readings appended', () => panelData(page, 'appended'), /^\d{3,}$/, 20_000);
      const checkpoint = await awaitCheckpoint(page);
      const atKill = Number(await panelData(page, 'appended'));
      await page.click('#btn-kill');
      const restarted = await waitForState(page, 'a restart after the kill', (s) => s.restarts.length >= 1, 15_000);
      assert.match(restarted.restarts[0]!.cause, /INJECTED_FAILURE|worker/);
      assert.ok((restarted.restarts[0]!.restoredCheckpointId ?? -1) >= checkpoint, `restored from checkpoint ${checkpoint} or later: ${JSON.stringify(restarted.restarts[0])}`);
      await waitForState(page, 'running again', (s) => s.status === 'running', 15_000);
      await waitUntil('100 more readings appended after the kill', async () => atLeast(atKill + 100)(await panelData(page, 'appended')));
      await page.click('#feed-pause');
      await waitForPanel(page, 'paused', /^true$/);
      const appended = Number(await panelData(page, 'appended'));

      await waitForState(page, `all ${appended} readings committed`, (s) => (s.committed ?? 0) >= appended, 20_000);
      await waitForPanel(page, 'committed', new RegExp(`^${appended}$`), 20_000);
      const readings = await readTable<{ id: string; sensor: string; value: number }>(page, 'readings');
      const totals = await readTable<{ sensor: string; total: number; readings: number }>(page, 'totals');
      // The ids are <page run>-<n>, n = 0, 1, … in the order the page appended them; the page ran once.
      const numbers = readings.map((r) => Number(r.id.slice(r.id.lastIndexOf('-') + 1))).sort((a, b) => a - b);
      assert.equal(new Set(readings.map((r) => r.id.slice(0, r.id.lastIndexOf('-')))).size, 1, 'one page run appended');
      assert.deepEqual(numbers, Array.from({ length: appended }, (_, n) => n), 'every acknowledged reading committed once, nothing else');
      const want = new Map<string, { total: number; readings: number }>();
      for (let n = 0; n < appended; n++) {
        const w = want.get(`sensor-${n % 4}`) ?? { total: 0, readings: 0 };
        want.set(`sensor-${n % 4}`, { total: w.total + ((n * 37) % 101), readings: w.readings + 1 });
      }
      const bySensor = (rows: { sensor: string; total: number; readings: number }[]) => [...rows].sort((a, b) => a.sensor.localeCompare(b.sensor)).map(({ sensor, total, readings: r }) => ({ sensor, total, readings: r }));
      assert.deepEqual(bySensor(totals), bySensor([...want].map(([sensor, w]) => ({ sensor, ...w }))), 'the running totals are exact');
      const state = await readState(page);
      assert.deepEqual({ duplicates: state?.duplicates, problem: state?.problem }, { duplicates: 0, problem: null }, 'what the page shows');
      t.diagnostic(`${appended} readings, ${atKill} before the kill; screenshot: ${await screenshot(page, root, 'inputs-feed')}`);
      assert.deepEqual(watch.problems, [], 'no page error or failed request');
    });
  });

  it('n. sse-feed: the server\'s live feed (Server-Sent Events from `npm start`), the tab reloaded mid-stream after an awaited checkpoint — every event id 0..N−1 committed once, live in watchTable', async (t) => {
    const EVENTS = 1200; // at 200 per second from the server: the stream lasts 6 s whatever the machine's speed
    await withPage(async (page) => {
      const watch = watchPage(page);
      await page.goto(`${server.url}?example=sse-feed&events=${EVENTS}&rate=200`);
      await waitForState(page, 'the feed job running', (s) => s.status === 'running' && s.jobName === 'sse-feed', 20_000);
      await waitForState(page, 'events committed', (s) => (s.committed ?? 0) >= 100, 20_000);
      const checkpoint = await awaitCheckpoint(page);
      const before = (await readState(page))?.committed ?? 0;
      await page.reload();
      const back = await waitForState(page, "the reloaded page: the job running, its 'restore' event", (s) => s.restores.length > 0 && (s.status === 'running' || s.status === 'finished'), 20_000);
      assert.ok(back.restores[0]!.checkpointId !== null && back.restores[0]!.checkpointId >= checkpoint,
        `resumed from checkpoint ${checkpoint} or later, not from the beginning: ${JSON.stringify(back.restores)}`);
      assert.ok(before < EVENTS, `the reload came mid-stream (${before} of ${EVENTS} events committed)`);

      const end = await waitForState(page, `the job finished after all ${EVENTS} events`, (s) => s.finished && s.verified, 40_000);
      await waitForPanel(page, 'committed', new RegExp(`^${EVENTS}$`), 20_000);
      const readings = await readTable<{ n: number; sensor: string; value: number }>(page, 'readings');
      const totals = await readTable<{ sensor: string; total: number; readings: number }>(page, 'totals');
      assert.deepEqual(readings.map((r) => r.n).sort((a, b) => a - b), Array.from({ length: EVENTS }, (_, n) => n), "the server's event ids 0..N−1, each committed once");
      const want = new Map<string, { total: number; readings: number }>();
      for (let n = 0; n < EVENTS; n++) {
        const w = want.get(`sensor-${n % 4}`) ?? { total: 0, readings: 0 };
        want.set(`sensor-${n % 4}`, { total: w.total + ((n * 37) % 101), readings: w.readings + 1 });
      }
      const bySensor = (rows: { sensor: string; total: number; readings: number }[]) => [...rows].sort((a, b) => a.sensor.localeCompare(b.sensor)).map(({ sensor, total, readings: r }) => ({ sensor, total, readings: r }));
      assert.deepEqual(bySensor(totals), bySensor([...want].map(([sensor, w]) => ({ sensor, ...w }))), 'the running totals are exact');
      assert.deepEqual({ duplicates: end.duplicates, problem: end.problem }, { duplicates: 0, problem: null }, 'what the page shows');
      t.diagnostic(`${EVENTS} events, ${before} committed before the reload; screenshot: ${await screenshot(page, root, 'inputs-sse')}`);
      assert.deepEqual(watch.problems, [], 'no page error or failed request');
    });
  });
});
