// End to end: the playground's editor. Job modules written in the page (the examples, and bad code)
// run in Web Workers as any app's would; the page draws their graph and checkpoints, survives a
// killed worker, a user function that throws once and a reload of the tab with the code and the
// job's state, and shows bad code as a message beside the editor. Run by scripts/run-e2e-tests.mjs.
// Screenshots go to test-artifacts/playground-editor-*.png.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import {
  assertPageVerified, finished, launchProfile, readState, repoRoot, screenshot, startPlaygroundServer, waitForDom, waitForState, waitForText, watchPage,
} from './playground-harness.js';

const root = repoRoot();
let work: string;
let server: Awaited<ReturnType<typeof startPlaygroundServer>>;
let profiles = 0;

async function withPage<T>(body: (page: Page, context: BrowserContext) => Promise<T>): Promise<T> {
  const context = await launchProfile(join(work, `profile-${++profiles}`));
  try {
    return await body(context.pages()[0] ?? (await context.newPage()), context);
  } finally {
    await context.close().catch(() => {});
  }
}

const getCode = (page: Page) => page.evaluate(() => window.__weirApi.getCode());
/** What typing the code into the editor does (one editor transaction), then the Run button. */
async function runCode(page: Page, code: string): Promise<void> {
  await page.evaluate((c) => window.__weirApi.setCode(c), code);
  await page.click('#btn-start-over');
}

/** The 5-second windowed sum's exact output for `events` events (see playground/src/examples/windowed-sum.js). */
function expectedSums(events: number): Map<string, number> {
  const out = new Map<string, number>();
  for (let n = 0; n < events; n++) {
    const key = `s${n % 4}@${Math.floor((n * 100) / 5000) * 5000}`;
    out.set(key, (out.get(key) ?? 0) + (n % 100));
  }
  return out;
}

describe('playground editor: job modules written in the page, run in workers, broken and recovered', () => {
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'weir-playground-editor-e2e-'));
    server = await startPlaygroundServer(root, join(work, 'site'));
  });

  after(async () => {
    await server?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('h. the windowed-sum example: kill a worker, throw once, reload the tab — the code and the job come back, every window committed once, no console error', async (t) => {
    await withPage(async (page) => {
      const watch = watchPage(page);
      await page.goto(server.url);
      await waitForState(page, 'the first example running', (s) => s.status === 'running' && s.jobName === 'playground-demo', 20_000);
      await page.selectOption('#example', 'windowed-sum');
      await waitForState(page, 'the windowed sum running', (s) => s.status === 'running' && s.jobName === 'windowed-sum', 20_000);
      // A rate is a setting: the job resumes with it from its latest checkpoint (the same graph). A slow
      // one (100 s of input), so that the job (20 000 events) is still running when the kill, the throw
      // and the reload below have come, however loaded the machine; after the reload a fast one lets it finish.
      await page.fill('#setting-RATE', '200');
      await page.press('#setting-RATE', 'Enter');
      await page.locator('#setting-RATE').blur();
      await waitForState(page, 'the new rate in the code, the job running with it', (s) => s.status === 'running' && s.runs >= 3, 20_000);
      assert.match(await getCode(page), /^const RATE = 200; \/\/ @setting/m);
      await waitForState(page, 'windows committed, a completed checkpoint', (s) => (s.committed ?? 0) > 0 && s.lastCompletedCheckpoint !== null, 20_000);

      await page.click('#btn-kill');
      const killed = await waitForState(page, 'a restart after the kill', (s) => s.restarts.length >= 1, 15_000);
      assert.match(killed.restarts[0]!.cause, /INJECTED_FAILURE|worker/);
      assert.notEqual(killed.restarts[0]!.restoredCheckpointId, null, 'restored from a checkpoint, not from the beginning');
      await waitForState(page, 'running again', (s) => s.status === 'running', 15_000);
      await waitForText(page, '#recovery-summary', /restored from checkpoint \d+.*Duplicates in the committed output: 0/);

      await page.click('#btn-throw');
      const thrown = await waitForState(page, 'a restart after the throw', (s) => s.restarts.length >= 2, 15_000);
      assert.equal(thrown.thrown.length, 1, `one user function threw, once: ${JSON.stringify(thrown.thrown)}`);
      assert.match(thrown.restarts[1]!.cause, /USER_FUNCTION_FAILED.*threw on purpose/);
      await waitForState(page, 'running again, no second throw', (s) => s.status === 'running', 15_000);
      t.diagnostic(`screenshot: ${await screenshot(page, root, 'editor-recovered')}`);

      const codeBefore = await getCode(page);
      // Reload just after a checkpoint completed, early in the 500 ms before the next one: the page then
      // knows the checkpoint the job resumes from (its trigger time, kept for the next page's estimate).
      const seen = (await readState(page))!.lastCompletedCheckpoint ?? 0;
      const before = await waitForState(page, 'a checkpoint after the restarts', (s) => (s.lastCompletedCheckpoint ?? 0) > seen && s.status === 'running', 20_000);
      if (before.finished) assert.fail('the job finished before the reload: make it longer');
      await page.reload();
      const back = await waitForState(page, 'the reloaded page running the job again', (s) => s.status === 'running' || s.verified, 20_000);
      assert.equal(await getCode(page), codeBefore, 'the editor holds the code it had before the reload');
      assert.equal(back.jobName, 'windowed-sum');
      const resumed = await waitForState(page, "the 'restore' event", (s) => s.restores.length > 0, 10_000);
      assert.notEqual(resumed.restores[0]!.checkpointId, null, 'the job resumed from a checkpoint after the reload');
      assert.ok(resumed.restores[0]!.replayed !== null, 'the page says about how many records the resume replays');
      // The page draws a state change up to 50 ms later (more under load): the summary is waited for, not read once.
      await waitForText(page, '#recovery-summary', /resumed the job from checkpoint \d+.*records replayed/);
      // Faster now, to the end: the job resumes again from its latest checkpoint.
      await page.fill('#setting-RATE', '5000');
      await page.press('#setting-RATE', 'Enter');
      await page.locator('#setting-RATE').blur();
      await waitForState(page, 'the job resumed at 5000 events/s', (s) => s.runs >= 2 && (s.status === 'running' || s.verified), 20_000);

      const end = await finished(page, 60_000);
      assertPageVerified(end, 'h');

      // The graph: every task drawn, with its rates; a checkpoint's subtasks on click.
      await waitForState(page, 'the plan and rates', (s) => s.plan !== null && s.rates.length > 0, 10_000);
      await waitForDom('the tasks in the graph (at least 2)', async () => String(await page.locator('#graph .vertex').count()), /^([2-9]|\d{2,})$/);
      await waitForText(page, '#graph .vertex .metrics', /in .*\/s · out .*\/s/);
      await page.click('#checkpoints tr[data-checkpoint]');
      const subtaskRows = await page.locator('#checkpoint-detail table tbody tr').count();
      assert.ok(subtaskRows >= 2, `the checkpoint's subtasks are listed: ${subtaskRows}`);
      await page.click('#btn-slowmo');
      // Replays are drawn frame by frame: generous timeouts for a loaded machine (waits for events, not delays).
      await page.waitForFunction(() => /checkpoint \d+: \+/.test(document.querySelector('#graph .caption')?.textContent ?? ''), undefined, { timeout: 30_000 });
      // A periodic checkpoint, picked from the history (a final one has no barriers: tasks whose
      // input ended snapshot directly), replayed slowly: its barriers cross the hash edge from both
      // upstream subtasks, and the first waits for the other.
      const periodic = page.locator('#checkpoints tr[data-checkpoint]', { hasText: 'completed', hasNotText: '(final)' }).first();
      const replayed = await periodic.getAttribute('data-checkpoint');
      await periodic.click();
      await page.click('#btn-replay-selected');
      await page.waitForFunction((id) => (document.querySelector('#graph .caption')?.textContent ?? '').startsWith(`checkpoint ${id}:`), replayed, { timeout: 30_000 });
      await page.waitForSelector('#graph .barrier', { timeout: 30_000 });
      t.diagnostic(`screenshot: ${await screenshot(page, root, 'editor-slow-motion')}`);

      const sums = await page.evaluate(() => window.__weirApi.readTable('sums')) as { sensor: string; start: number; sum: number }[];
      const want = expectedSums(20_000);
      assert.equal(sums.length, want.size, 'one row per sensor and window');
      for (const r of sums) assert.equal(r.sum, want.get(`${r.sensor}@${r.start}`), `the sum of window ${r.sensor}@${r.start}`);
      t.diagnostic(`screenshot: ${await screenshot(page, root, 'editor-finished')}`);
      assert.deepEqual([...watch.problems, ...watch.consoleErrors], [], 'no page error, console error or failed request');
    });
  });

  it('i. bad code — a syntax error, a graph without a sink, a build function that throws, no job exported, a function that always throws — shows a message beside the editor; the page stays up and runs the fixed code', async (t) => {
    await withPage(async (page) => {
      const watch = watchPage(page);
      await page.goto(`${server.url}?autorun=0`);
      await waitForState(page, 'the idle page', (s) => s.status === 'idle', 10_000);
      const cases: [string, string, RegExp][] = [
        ['a syntax error', "import { job, sources } from 'weir';\nexport default job('bad', (env) => {\n  env.fromSource(sources.sequence({ from: 0 }).\n});\n", /Syntax error at line 4/],
        ['no sink', "import { job, sources } from 'weir';\nexport default job('no-sink', (env) => {\n  env.fromSource(sources.sequence({ from: 0, to: 10 })).map((n) => n + 1);\n});\n", /run\(\) refused the job.*sink/is],
        ['a throwing build', "import { job } from 'weir';\nexport default job('boom', () => {\n  throw new Error('boom while building the graph');\n});\n", /boom while building the graph/],
        ['no job exported', 'export default 42;\n', /must end with `export default job/],
        ['a module that throws', "throw new TypeError('top-level trouble');\n", /threw while it was loading: top-level trouble/],
        ['a function that always throws', "import { job, sources, sinks } from 'weir';\nexport default job('always-throws', (env) => {\n  env.fromSource(sources.sequence({ from: 0, to: 100 })).map((n) => { throw new RangeError(`no ${n}`); }).sinkTo(sinks.print());\n});\n",
          /The job failed after \d+ restart\(s\).*USER_FUNCTION_FAILED.*no \d+/s],
      ];
      for (const [what, code, message] of cases) {
        await runCode(page, code);
        const s = await waitForState(page, `the message for ${what}`, (x) => x.codeError !== null, 30_000);
        assert.match(s.codeError!, message, `${what}: the message`);
        assert.equal(s.error, null, `${what}: not a page error`);
        assert.ok(await page.isVisible('#code-error'), `${what}: the message is shown`);
        assert.ok(await page.isVisible('header h1') && await page.isVisible('#editor .cm-content'), `${what}: the page is not blank`);
        if (what === 'a syntax error') t.diagnostic(`screenshot: ${await screenshot(page, root, 'editor-syntax-error')}`);
      }
      await runCode(page, "import { job, sources, sinks } from 'weir';\nexport default job('fixed', (env) => {\n  env.fromSource(sources.sequence({ from: 0, to: 100 })).sinkTo(sinks.table('out'));\n});\nexport const check = { table: 'out', expectedRows: 100 };\n");
      const end = await finished(page, 20_000);
      assert.equal(end.codeError, null);
      assertPageVerified(end, 'i, the fixed code');
      assert.equal(await page.isVisible('#code-error'), false, 'the message is gone');
      assert.deepEqual([...watch.problems, ...watch.consoleErrors], [], 'no page error, console error or failed request: bad code is the page\'s message only');
    });
  });

  it('j. the word count and the sessions of clicks from two sources, each killed once midway: every row committed once, the module\'s check exact', async (t) => {
    // Slow until the kill (40 s of input: the job still runs when the kill comes, on a loaded machine
    // too), fast after it: a new rate resumes the job from its latest checkpoint, so it ends in seconds.
    for (const [example, query] of [['wordcount', 'lines=4000&rate=100'], ['sessions', 'clicks=6000&rate=150']] as const) {
      await withPage(async (page) => {
        const watch = watchPage(page, example);
        await page.goto(`${server.url}?example=${example}&${query}`);
        await waitForState(page, `${example}: a completed checkpoint and output`, (s) => s.status === 'running' && s.lastCompletedCheckpoint !== null && (s.committed ?? 0) > 0, 30_000);
        const plan = (await readState(page))!.plan!;
        if (example === 'sessions') assert.ok(plan.vertices.some((v) => v.inputs.length === 2), `the window task has two inputs: ${JSON.stringify(plan.vertices.map((v) => v.inputs))}`);
        await page.click('#btn-kill');
        const killed = await waitForState(page, `${example}: a restart from a checkpoint, running again`, (s) => s.restarts.length >= 1 && s.status === 'running', 30_000);
        assert.equal(killed.restarts.length, 1, `${example}: one kill, one restart: ${JSON.stringify(killed.restarts)}`);
        assert.notEqual(killed.restarts[0]!.restoredCheckpointId, null, `${example}: restored from a checkpoint, not from the beginning`);
        assert.equal(killed.finished, false, `${example}: the job still ran after the restart`);
        await page.fill('#setting-RATE', '5000');
        await page.press('#setting-RATE', 'Enter');
        await page.locator('#setting-RATE').blur();
        const resumed = await waitForState(page, `${example}: the job resumed at 5000/s`, (s) => s.runs >= 2 && s.restores.length > 0, 30_000);
        assert.notEqual(resumed.restores[0]!.checkpointId, null, `${example}: resumed from a checkpoint, not from the beginning`);
        const end = await finished(page, 60_000);
        assertPageVerified(end, example);
        assert.equal(end.restarts.length, 0, `${example}: nothing restarted the resumed run`);
        t.diagnostic(`${example}: ${end.committed} rows; restart from checkpoint ${killed.restarts[0]!.restoredCheckpointId} replaying ≈ ${killed.restarts[0]!.replayed}; resumed from checkpoint ${resumed.restores[0]!.checkpointId}`);
        assert.deepEqual([...watch.problems, ...watch.consoleErrors], [], `${example}: no page error, console error or failed request`);
      });
    }
  });

  it('k. the live feed: a new rate resumes the job from its latest checkpoint at that rate; stopped, it stays stopped through a reload; nothing committed twice', async () => {
    await withPage(async (page) => {
      const watch = watchPage(page);
      const started = Date.now();
      await page.goto(`${server.url}?example=live-feed&rate=400`);
      const first = await waitForState(page, 'the feed at 400/s with a checkpoint', (s) => s.status === 'running' && s.lastCompletedCheckpoint !== null && (s.recordsPerSecond ?? 0) > 0, 20_000);
      assert.equal(first.jobName, 'live-feed');
      await page.fill('#setting-RATE', '1500');
      await page.locator('#setting-RATE').blur();
      const resumed = await waitForState(page, 'the job resumed', (s) => s.runs === 2 && s.restores.length > 0, 20_000);
      assert.notEqual(resumed.restores[0]!.checkpointId, null, 'resumed from a checkpoint, not from the beginning');
      assert.match(await getCode(page), /^const RATE = 1500; \/\/ @setting/m);
      const fast = await waitForState(page, 'the new rate measured', (s) => (s.recordsPerSecond ?? 0) > 1000, 30_000);
      // The rate is a limit: reading n is the n-th the feed (two subtasks, striding) emitted, so none can be
      // numbered above 400/s, then 1500/s, times the time since the page started it (+ a few for the subtasks). A count against
      // elapsed time that a loaded machine only makes smaller; a measured rate could be skewed either way.
      const readings = await page.evaluate(() => window.__weirApi.readTable('readings')) as number[];
      const limit = (1500 * (Date.now() - started)) / 1000 + 8;
      const highest = Math.max(...readings);
      assert.ok(highest <= limit, `reading ${highest} committed, but the feed may emit no more than ${Math.floor(limit)} by now (the rate is a limit)`);
      const read = await waitForState(page, 'a read after the change', (s) => s.reads > fast.reads + 1 && (s.committed ?? 0) > 0, 10_000);
      assert.equal(read.duplicates, 0, 'no reading committed twice');

      // Stopped, the job stays stopped through a reload; "Run, resuming" goes on from its checkpoint.
      await page.click('#btn-stop');
      await waitForState(page, 'the stopped job', (s) => s.status === 'idle', 10_000);
      await page.goto(server.url);
      await waitForState(page, 'the reloaded page, idle', (s) => s.status === 'idle', 10_000);
      assert.match((await page.textContent('#notice')) ?? '', /stopped/);
      await page.click('#btn-resume');
      const again = await waitForState(page, 'the job resumed', (s) => s.status === 'running' && s.restores.length > 0, 20_000);
      assert.notEqual(again.restores[0]!.checkpointId, null, 'resumed from a checkpoint');
      const later = await waitForState(page, 'a read after resuming', (s) => s.reads > 1 && (s.committed ?? 0) > (read.committed ?? 0), 10_000);
      assert.equal(later.duplicates, 0, 'no reading committed twice');
      assert.deepEqual([...watch.problems, ...watch.consoleErrors], [], 'no page error, console error or failed request');
    });
  });
});
