// End to end: the playground (playground/, served by scripts/serve-playground.mjs as `npm start`
// serves it) in Chromium on a persistent profile. The page runs the demo job in two Web Workers with
// the default storage (IndexedDB in a browser) and resume ('latest'), and these tests check that
// what it commits counts every number exactly once across what a user does to a tab: reloads, a
// browser restart, a second tab, a corrupt checkpoint chunk — and the page's own buttons.
// State is read from the page (window.__weir, window.__weirApi.readTable: see playground/src/main.ts).
// Screenshots go to test-artifacts/playground-*.png. Run by scripts/run-e2e-tests.mjs (npm test).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { seededRandom } from '../support/seeded-random.js';
import {
  assertExactlyOnce, assertPageVerified, corruptLatestCheckpointChunk, finished, launchProfile, playgroundUrl, readCommitted, readState,
  repoRoot, screenshot, startPlaygroundServer, waitForDom, waitForState, waitForText, watchPage, type PlaygroundState,
} from './playground-harness.js';

const root = repoRoot();
const KEYS = 10;
let work: string;
let server: Awaited<ReturnType<typeof startPlaygroundServer>>;
let profiles = 0;

/** A fresh persistent profile (its own IndexedDB); the folder is kept so a test can relaunch on it. */
function newProfileDir(): string {
  return join(work, `profile-${++profiles}`);
}

async function withProfile<T>(dir: string, body: (context: BrowserContext) => Promise<T>): Promise<T> {
  const context = await launchProfile(dir);
  try {
    return await body(context);
  } finally {
    await context.close().catch(() => {});
  }
}

async function firstPage(context: BrowserContext): Promise<Page> {
  return context.pages()[0] ?? context.newPage();
}

function url(params: { name: string; records: number; rate: number; autorun?: 0 }): string {
  return playgroundUrl(server.url, { ...params, keys: KEYS });
}

describe('playground: the demo job in the browser, exactly once through reloads, restarts, tabs and corruption', () => {
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'weir-playground-e2e-'));
    server = await startPlaygroundServer(root, join(work, 'site'));
  });

  after(async () => {
    await server?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('a. runs the demo to the end: every number once in "seen", "counts" exact, no console error', async (t) => {
    const params = { name: 'demo-a', records: 6_000, rate: 3_000 };
    await withProfile(newProfileDir(), async (context) => {
      const page = await firstPage(context);
      const watch = watchPage(page);
      const t0 = Date.now();
      await page.goto(url(params));
      const running = await waitForState(page, "status 'running'", (s) => s.status === 'running' || s.verified, 20_000);
      assert.equal(running.initialCommitted, 0, 'a fresh profile has nothing committed');
      const end = await finished(page);
      t.diagnostic(`finished in ${Date.now() - t0} ms, ${end.checkpoints.length} checkpoints, ${end.restarts.length} restarts`);
      assertPageVerified(end, 'a');
      assert.ok(end.checkpoints.filter((c) => c.status === 'completed').length >= 2, `checkpoints were taken: ${JSON.stringify(end.checkpoints)}`);
      assert.equal(end.restarts.length, 0, 'no restart');
      assertExactlyOnce(await readCommitted(page), params.records, KEYS, 'a');
      // What a user sees: the status badge, the committed count, zero duplicates, the data- attributes.
      // (The page draws its state up to 50 ms after it changes, later under load: what it shows is waited for.)
      await waitForText(page, '#status', /^finished$/);
      await waitForDom('#app data-duplicates', () => page.getAttribute('#app', 'data-duplicates'), /^0$/);
      await waitForDom('#app data-committed', () => page.getAttribute('#app', 'data-committed'), new RegExp(`^${params.records}$`));
      await waitForText(page, '#duplicates', /^0\b/);
      await waitForText(page, '#consistent', /exact/);
      await waitForDom('the checkpoint table (at least 2 rows)', async () => String(await page.locator('#checkpoints tr').count()), /^([2-9]|\d{2,})$/);
      t.diagnostic(`screenshot: ${await screenshot(page, root, 'finished')}`);
      assert.deepEqual([...watch.problems, ...watch.consoleErrors], [], 'no page error, console error or failed request');
    });
  });

  it('b. reloads at seeded moments (2 seeds × 6 reloads): the job resumes each time and ends exactly once', async (t) => {
    let reloads = 0;
    for (const seed of [1, 2]) {
      const random = seededRandom(seed);
      // Slow while the page is reloaded (30 s of input: reloads that take long on a loaded machine still
      // come before the end), fast after the last one (a new rate, the same graph), so the job ends in seconds.
      const params = { name: `demo-b${seed}`, records: 12_000, rate: 400 };
      await withProfile(newProfileDir(), async (context) => {
        const page = await firstPage(context);
        const watch = watchPage(page, `seed ${seed}`);
        await page.goto(url(params));
        const trail: string[] = [];
        for (let reload = 1; reload <= 6; reload++) {
          // Most reloads while the job runs, after one or two checkpoints it completed in this page; some
          // while the page is still starting it (restoring), once it read what was committed. Moments
          // are events, not delays: on a loaded machine a delay may end after the job did.
          const moment = random();
          if (moment < 0.25) {
            await waitForState(page, `seed ${seed}, before reload ${reload}: the page's first read`, (s) => s.initialCommitted !== null || s.finished, 20_000);
          } else {
            const completed = (s: PlaygroundState) => s.checkpoints.filter((c) => c.status === 'completed' && !c.final).length;
            const running = await waitForState(page, `seed ${seed}, before reload ${reload}: status 'running'`, (s) => s.status === 'running' || s.finished, 20_000);
            const more = moment < 0.8 ? 1 : 2;
            await waitForState(page, `seed ${seed}, before reload ${reload}: ${more} more checkpoint(s) completed`, (s) => completed(s) >= completed(running) + more || s.finished, 20_000);
          }
          const before = (await readCommitted(page)).seen.length;
          const state = await readState(page);
          assert.ok(state?.duplicates === null || state?.duplicates === 0, `seed ${seed}: the page saw duplicates before reload ${reload}`);
          if (state?.finished) {
            trail.push(`reload ${reload}: the job had already finished`);
            break;
          }
          await page.reload();
          reloads++;
          const after = await waitForState(page, `seed ${seed}, after reload ${reload}: the page's first read`, (s) => s.initialCommitted !== null, 20_000);
          trail.push(`reload ${reload} at ${before} committed → ${after.initialCommitted} after`);
          assert.ok(
            after.initialCommitted! >= before,
            `seed ${seed}, reload ${reload}: the job started over — ${before} rows were committed before the reload, ${after.initialCommitted} after `
              + '(checkpoints and tables must outlive the page: IndexedDB storage, resume latest)',
          );
        }
        t.diagnostic(`seed ${seed}: ${trail.join('; ')}`);
        if (!(await readState(page))?.finished) await page.goto(url({ ...params, rate: 5_000 }));
        const end = await finished(page);
        assertPageVerified(end, `b, seed ${seed}`);
        assertExactlyOnce(await readCommitted(page), params.records, KEYS, `b, seed ${seed}`);
        if (seed === 2) t.diagnostic(`screenshot: ${await screenshot(page, root, 'after-reloads')}`);
        assert.deepEqual(watch.problems, [], `seed ${seed}: no page error or failed request`);
        if (watch.consoleErrors.length > 0) t.diagnostic(`console errors: ${watch.consoleErrors.join(' | ')}`);
      });
    }
    assert.ok(reloads >= 10, `at least 10 reloads while the job ran, over both seeds (the job finished too soon): ${reloads}`);
  });

  it('c. closing the browser and relaunching it on the same profile: the job resumes, and ends exactly once', async (t) => {
    // Slow before the browser closes (15 s of input: it closes mid-way on a loaded machine too), fast after.
    const params = { name: 'demo-c', records: 9_000, rate: 600 };
    const dir = newProfileDir();
    const before = await withProfile(dir, async (context) => {
      const page = await firstPage(context);
      await page.goto(url(params));
      await waitForState(page, 'a sixth of the input committed', (s) => (s.committed ?? 0) >= params.records / 6 && s.status === 'running', 30_000);
      return (await readCommitted(page)).seen.length;
    }); // closes the browser, the job mid-way
    await withProfile(dir, async (context) => {
      const page = await firstPage(context);
      const watch = watchPage(page);
      await page.goto(url({ ...params, rate: 5_000 }));
      const first = await waitForState(page, "the relaunched page's first read", (s) => s.initialCommitted !== null, 20_000);
      t.diagnostic(`committed before closing: ${before}; when the relaunched page started: ${first.initialCommitted}`);
      assert.ok(before > 0, 'something was committed before the browser closed');
      assert.ok(first.initialCommitted! >= before, `the job started over after the relaunch: ${before} rows committed before, ${first.initialCommitted} after`);
      const end = await finished(page);
      assertPageVerified(end, 'c');
      assertExactlyOnce(await readCommitted(page), params.records, KEYS, 'c');
      const resumedFrom = end.restores[0]?.checkpointId;
      if (end.restores.length > 0) assert.notEqual(resumedFrom, null, "the 'restore' event says the job started from the beginning");
      t.diagnostic(`screenshot: ${await screenshot(page, root, 'after-relaunch')}`);
      assert.deepEqual(watch.problems, [], 'no page error or failed request');
    });
  });

  it("d. two tabs: the second waits in 'standby', takes over when the first closes, and nothing is committed twice", async (t) => {
    // Tab 1 reads slowly (60 s of input): it still runs the job while tab 2 starts and waits, on a loaded
    // machine too. Tab 2's code reads fast (a rate is no part of the graph): once it takes over, the job ends in seconds.
    const params = { name: 'demo-d', records: 9_000, rate: 150 };
    await withProfile(newProfileDir(), async (context) => {
      const first = await firstPage(context);
      const watchFirst = watchPage(first, 'tab 1');
      await first.goto(url(params));
      await waitForState(first, "tab 1: status 'running' and a completed checkpoint", (s) => s.status === 'running' && s.lastCompletedCheckpoint !== null, 20_000);

      const second = await context.newPage();
      const watchSecond = watchPage(second, 'tab 2');
      await second.goto(url({ ...params, rate: 5_000 }));
      await waitForState(second, "tab 2: status 'standby' (tab 1 runs the job)", (s) => s.status === 'standby' || s.status === 'running' || s.status === 'error', 20_000);
      const standby = await readState(second);
      assert.equal(standby?.status, 'standby', `tab 2 must wait while tab 1 runs the job, but it is '${standby?.status}'`);
      // While tab 1 completes two more checkpoints (events, not a delay), tab 2 goes on waiting.
      const periodic = (s: PlaygroundState) => s.checkpoints.filter((c) => c.status === 'completed' && !c.final).length;
      const completedBefore = periodic((await readState(first))!);
      await waitForState(first, 'tab 1: two more periodic checkpoints completed', (s) => periodic(s) >= completedBefore + 2 || s.finished, 20_000);
      assert.equal((await readState(first))?.status, 'running', 'tab 1 still runs the job');
      assert.equal((await readState(second))?.status, 'standby', 'tab 2 still waits');
      await waitForText(second, '#notice', /standby|another tab/i); // tab 2 says why it waits
      t.diagnostic(`screenshot: ${await screenshot(second, root, 'standby')}`);

      const committedBefore = (await readCommitted(second)).seen.length;
      await first.close();
      await waitForState(second, "tab 2: status 'running' after tab 1 closed", (s) => s.status === 'running' || s.finished, 20_000);
      // Where tab 2's job started from, if the runtime reports it (its 'restore' event follows the status by a turn).
      const took = await waitForState(second, "tab 2: the 'restore' event", (s) => s.restores.length > 0 || s.finished, 3_000).catch(() => readState(second));
      const restoredFrom = took?.restores[0]?.checkpointId;
      t.diagnostic(`tab 2 took over with ${committedBefore} rows committed; restored from ${restoredFrom === undefined ? '(no restore event)' : `checkpoint ${restoredFrom}`}`);
      if (restoredFrom !== undefined) assert.notEqual(restoredFrom, null, 'tab 2 resumes from the latest checkpoint, not from the beginning');
      const end = await finished(second);
      assertPageVerified(end, 'd, tab 2');
      assertExactlyOnce(await readCommitted(second), params.records, KEYS, 'd');
      t.diagnostic(`screenshot: ${await screenshot(second, root, 'took-over')}`);
      assert.deepEqual([...watchFirst.problems, ...watchSecond.problems], [], 'no page error or failed request');
    });
  });

  it('e. a corrupt chunk in the latest checkpoint: after a reload the job falls back one checkpoint and still ends exactly once', async (t) => {
    // Slow until the page is left (20 s of input: three checkpoints come first on a loaded machine too), fast after.
    const params = { name: 'demo-e', records: 8_000, rate: 400 };
    await withProfile(newProfileDir(), async (context) => {
      const page = await firstPage(context);
      const watch = watchPage(page);
      await page.goto(url(params));
      const running = await waitForState(page, 'three completed checkpoints and some output committed',
        (s) => s.status === 'running' && s.checkpoints.filter((c) => c.status === 'completed').length >= 3 && (s.committed ?? 0) > 0, 30_000);
      // Stop the job (leave the page for one that runs nothing), so no checkpoint completes behind the test's back.
      await page.goto(url({ ...params, autorun: 0 }));
      await waitForState(page, "the idle page (autorun=0)", (s) => s.status === 'idle', 20_000);
      // The job's Web Lock, held by its runner for as long as it runs: granted here once the old page's runner is gone.
      await page.evaluate((lock) => navigator.locks.request(lock, async () => {}), `weir:job:${params.name}`);
      const corruption = await corruptLatestCheckpointChunk(page, params.name, running.lastCompletedCheckpoint);
      t.diagnostic(`corrupted byte ${corruption.byteIndex} of ${corruption.chunkBytes} in ${corruption.key}; completed checkpoints in storage: ${corruption.completed.join(', ')}`);
      assert.notEqual(corruption.previous, null, `a checkpoint older than ${corruption.latest} is retained to fall back to (completed in storage: ${corruption.completed.join(', ')})`);

      await page.goto(url({ ...params, rate: 5_000 }));
      const fell = await waitForState(page, `a fall-back from checkpoint ${corruption.latest} to ${corruption.previous}`, (s) =>
        s.restarts.some((r) => r.fellBackFrom === corruption.latest || (r.code === 'CORRUPT_DATA' && r.restoredCheckpointId === corruption.previous))
        || s.restores.some((r) => r.checkpointId === corruption.previous && r.skipped.some((k) => k.checkpointId === corruption.latest))
        || s.status === 'failed' || s.status === 'error' || s.verified, 30_000);
      // The page shows what happened: the restart's row names the checkpoint it fell back from (or "resumed from" the one passed over).
      await waitForDom('the fall-back in #restarts or #resumed', async () => `${await page.textContent('#restarts')} ${await page.textContent('#resumed')}`,
        new RegExp(`checkpoint ${corruption.latest}|passed over ${corruption.latest}`));
      t.diagnostic(`screenshot: ${await screenshot(page, root, 'corrupt-chunk')}`);

      const end = await finished(page);
      assertPageVerified(end, 'e');
      assertExactlyOnce(await readCommitted(page), params.records, KEYS, 'e');
      t.diagnostic(`screenshot: ${await screenshot(page, root, 'corrupt-chunk-finished')}`);
      // One checkpoint back, not from the beginning: checkpoint `previous` is still in storage.
      const shown = fell.restarts.find((r) => r.fellBackFrom === corruption.latest || r.code === 'CORRUPT_DATA');
      const restoredFrom = shown ? shown.restoredCheckpointId : fell.restores.find((r) => r.skipped.length > 0)?.checkpointId;
      assert.equal(restoredFrom, corruption.previous,
        `the job must fall back exactly one checkpoint, from ${corruption.latest} to ${corruption.previous} (null: it started over)\n`
          + `restarts: ${JSON.stringify(fell.restarts)}\nrestores: ${JSON.stringify(fell.restores)}`);
      assert.deepEqual(watch.problems, [], 'no page error or failed request');
    });
  });

  it("f. the buttons: trigger a checkpoint, kill a worker (the job restarts), start over (resume: 'none'): exactly once", async (t) => {
    // Slow until the kill's restart is seen running (30 s of input, on a loaded machine too); the start over runs fast.
    const params = { name: 'demo-f', records: 9_000, rate: 300 };
    await withProfile(newProfileDir(), async (context) => {
      const page = await firstPage(context);
      const watch = watchPage(page);
      await page.goto(url(params));
      const running = await waitForState(page, "status 'running'", (s) => s.status === 'running', 20_000);

      await page.click('#btn-checkpoint');
      await waitForState(page, 'a line for the triggered checkpoint', (s) => s.log.some((l) => / checkpoint \d+ (completed|failed|in-progress)|not taken/.test(l)), 10_000);
      const after = await readState(page);
      assert.ok(after!.checkpoints.length > running.checkpoints.length || after!.log.some((l) => /checkpoint \d+ completed/.test(l)), 'the triggered checkpoint is listed');

      await page.click('#btn-kill');
      const restarted = await waitForState(page, 'a restart after the kill', (s) => s.restarts.length >= 1, 15_000);
      assert.match(restarted.restarts[0]!.cause, /worker|INJECTED/i, 'the restart names the killed worker');
      await waitForState(page, "status 'running' again, with output committed", (s) => s.status === 'running' && (s.committed ?? 0) > 0, 20_000);

      // The rate in the editor (not yet run: no resume), then "Run from the beginning" runs it.
      await page.evaluate(() => window.__weirApi.setCode(window.__weirApi.getCode().replace(/^const RATE = \d+;/m, 'const RATE = 5000;')));
      assert.match(await page.evaluate(() => window.__weirApi.getCode()), /^const RATE = 5000;/m, 'the new rate is in the editor');
      await page.click('#btn-start-over');
      const over = await waitForState(page, 'a second run from the beginning', (s) => s.runs === 2 && (s.status === 'running' || s.verified), 20_000);
      assert.equal(over.restarts.length, 0, 'start over resets the restart list');
      const end = await finished(page);
      assertPageVerified(end, 'f');
      assertExactlyOnce(await readCommitted(page), params.records, KEYS, 'f (after start over)');
      t.diagnostic(`screenshot: ${await screenshot(page, root, 'buttons')}`);
      assert.deepEqual(watch.problems, [], 'no page error or failed request');
    });
  });

  it("g. the playground type-checks against the built package's declarations (tsc -p playground)", (t) => {
    const t0 = Date.now();
    const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'playground/tsconfig.json'], { cwd: root, encoding: 'utf8' });
    t.diagnostic(`tsc ${Date.now() - t0} ms`);
    assert.equal(tsc.status, 0, `tsc -p playground failed:\n${tsc.stdout}${tsc.stderr}`);
  });
});
