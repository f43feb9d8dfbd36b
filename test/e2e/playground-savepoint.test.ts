// End to end: the playground's "Download savepoint" and "Start from savepoint…" (issue 14) in
// Chromium. The demo job (Web Workers, IndexedDB) runs slowly; the page takes a savepoint and
// downloads it; the job runs on past it (committing more) and is stopped; "Start from savepoint…"
// with that file (through the file chooser the button opens) runs the code from it: the rows
// committed after the savepoint are taken back and come again, so every number counts once. The
// downloaded archive is also read in Node, and a file that is no savepoint is refused beside the editor.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readSavepoint } from 'weir';
import {
  assertExactlyOnce, assertPageVerified, finished, launchProfile, playgroundUrl, readCommitted, repoRoot, startPlaygroundServer, waitForState, watchPage,
} from './playground-harness.js';

const root = repoRoot();
const KEYS = 10;
const RECORDS = 8_000;
let work: string;
let server: Awaited<ReturnType<typeof startPlaygroundServer>>;

describe('playground: download a savepoint, start from it', () => {
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'weir-playground-savepoint-'));
    server = await startPlaygroundServer(root, join(work, 'site'));
  });
  after(async () => {
    await server?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('a savepoint downloaded mid-stream restores in the page: every number once, "counts" exact', async (t) => {
    const name = 'demo-savepoint';
    const context = await launchProfile(join(work, 'profile'));
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      const watch = watchPage(page);
      // Slow: 40 s of input, so the savepoint and the commits after it come mid-stream.
      await page.goto(playgroundUrl(server.url, { name, records: RECORDS, rate: 200, keys: KEYS }));
      const completed = (s: { checkpoints: { status: string; final: boolean }[] }) => s.checkpoints.filter((c) => c.status === 'completed' && !c.final).length;
      await waitForState(page, 'a completed checkpoint', (s) => s.status === 'running' && completed(s) >= 1, 30_000);
      const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.click('#btn-savepoint')]);
      const file = join(work, download.suggestedFilename());
      await download.saveAs(file);
      const bytes = new Uint8Array(readFileSync(file));
      const contents = readSavepoint(bytes); // the archive a Chromium page wrote, read in Node
      assert.equal(contents.jobName, name);
      assert.match(download.suggestedFilename(), new RegExp(`^${name}-${contents.checkpointId}\\.weirsp$`));
      t.diagnostic(`savepoint of checkpoint ${contents.checkpointId}: ${bytes.length} bytes`);
      // The job runs on past the savepoint and commits more, then is stopped.
      const afterSavepoint = await waitForState(page, 'a checkpoint after the savepoint', (s) => (s.lastCompletedCheckpoint ?? 0) > contents.checkpointId, 30_000);
      assert.ok(!afterSavepoint.finished, 'the job was still running after the savepoint');
      await page.click('#btn-stop');
      await waitForState(page, 'stopped', (s) => s.status === 'idle', 20_000);

      // Fast now (a setting: the same graph), not started; then "Start from savepoint…" with the file.
      await page.goto(playgroundUrl(server.url, { name, records: RECORDS, rate: 20_000, keys: KEYS, autorun: 0 }));
      await waitForState(page, 'the page idle', (s) => s.status === 'idle', 20_000);
      const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.click('#btn-from-savepoint')]);
      await chooser.setFiles(file);
      const end = await finished(page);
      assertPageVerified(end, 'from the savepoint');
      assert.equal(end.restores[0]?.checkpointId, contents.checkpointId, `restored the savepoint's checkpoint: ${JSON.stringify(end.restores)}`);
      assertExactlyOnce(await readCommitted(page), RECORDS, KEYS, 'from the savepoint');

      // A file that is no savepoint: refused beside the editor, naming what is wrong.
      const bad = join(work, 'not-a-savepoint.weirsp');
      writeFileSync(bad, 'a text file, not a savepoint');
      const [again] = await Promise.all([page.waitForEvent('filechooser'), page.click('#btn-from-savepoint')]);
      await again.setFiles(bad);
      const refused = await waitForState(page, 'the refusal', (s) => s.codeError !== null, 20_000);
      assert.match(refused.codeError!, /run\(\) refused the job — .*savepoint archive: not a Weir savepoint/);
      assert.deepEqual(watch.problems, [], 'no page error or failed request');
    } finally {
      await context.close().catch(() => {});
    }
  });
});
