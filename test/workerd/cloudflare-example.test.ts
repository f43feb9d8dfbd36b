// The Cloudflare example (examples/cloudflare) as deployed: its Worker, bundled as wrangler would,
// in Miniflare's workerd with a WRITE_TOKEN secret. Its doors: writers must authenticate, a body
// too large is refused with 413, a body with one bad record among good ones with 400 naming it —
// and nothing of a refused request is appended; 1,000 concurrent appends from 10 writers are each
// counted exactly once. The flood and the over-large body are sent inside the isolate through the
// example's fetch handler (fixtures/example-flood-worker.ts): from Node, sockets were reset under load.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PageView } from '../../examples/page-views.job.js';
import { bundleWorker, call, startWorker } from './support/workerd-harness.js';

const TOKEN = 'test-token-0123456789';
// The example's Worker as it is, with one test route in front (fixtures/example-flood-worker.ts).
const { code } = await bundleWorker('test/workerd/fixtures/example-flood-worker.ts');
const mf = startWorker(code, { durableObjects: { EVENTS: { className: 'Events', useSQLite: true } }, bindings: { WRITE_TOKEN: TOKEN } });
after(() => mf.dispose());

const auth = { authorization: `Bearer ${TOKEN}` };
const post = (body: string, headers: Record<string, string> = auth) => call(mf, '/logs/events', { method: 'POST', body, headers: { 'content-type': 'application/x-ndjson', ...headers } });
const ndjson = (views: PageView[]) => views.map((v) => JSON.stringify(v)).join('\n');
const views = (prefix: string, n: number, pages = 5): PageView[] => Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}`, page: `/page/${i % pages}` }));

interface Status {
  latestCheckpoint: { id: number } | null;
}
const latestCheckpointId = async () => (await call(mf, '/status')).json<Status>().latestCheckpoint?.id ?? 0;
/** Waits (polling the object's status) until a checkpoint later than `after` completed; returns its id. */
async function checkpointAfter(after: number): Promise<number> {
  for (let i = 0; i < 3000; i++) {
    const id = await latestCheckpointId();
    if (id > after) return id;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`no checkpoint completed after ${after}`);
}
/**
 * The ids the job committed to 'seen', read after each completed checkpoint until `complete` holds —
 * a checkpoint covers what the log source had read at its barrier, not every acknowledged append,
 * so the test waits for the outcome, never for a number of checkpoints — and then two checkpoints
 * later again, so a record committed twice would show.
 */
async function committedIds(complete: (ids: string[]) => boolean): Promise<string[]> {
  let checkpoint = await latestCheckpointId();
  for (let i = 0; i < 200; i++) {
    checkpoint = await checkpointAfter(checkpoint);
    if (complete((await call(mf, '/tables/seen')).json<string[]>())) {
      await checkpointAfter(await checkpointAfter(checkpoint));
      return (await call(mf, '/tables/seen')).json<string[]>();
    }
  }
  assert.fail('the committed table never held what was acknowledged');
}

describe('the Cloudflare example: the doors of a job object', () => {
  it('appends an authenticated POST and answers with its offsets, only once it is stored', async () => {
    const r = await post(ndjson(views('first', 3)));
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json(), { log: 'events', partition: 0, appended: 3, first: 0, last: 2 });
  });

  it('refuses writers without the token, or with a wrong one, with 401, appending nothing', async () => {
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer wrong' }, { authorization: `Bearer ${TOKEN}x` }, { authorization: `Basic ${TOKEN}` }, { authorization: TOKEN }]) {
      const r = await post(ndjson(views('unauthorized', 2)), headers);
      assert.equal(r.status, 401, JSON.stringify(headers));
      assert.equal(r.json<{ error: { code: string } }>().error.code, 'UNAUTHORIZED');
    }
    const r = await call(mf, '/__weir/connect', { headers: { upgrade: 'websocket' } });
    assert.equal(r.status, 404, 'no internal route of the object is reachable through the Worker');
  });

  it('refuses a body over maxBodyBytes with 413 and a bad record among good ones with 400 naming it, appending nothing of either', async () => {
    const big = await call(mf, '/test/big', { method: 'POST', headers: auth });
    assert.equal(big.status, 413);
    assert.match(big.json<{ error: { message: string } }>().error.message, /larger than 1048576 bytes \(maxBodyBytes\)/);
    const lines = views('bad', 5).map((v) => JSON.stringify(v));
    lines[3] = '{"id": "bad-3", "page": ';
    const bad = await post(lines.join('\n'));
    assert.equal(bad.status, 400);
    assert.match(bad.json<{ error: { message: string } }>().error.message, /^body: record 3 \(line 4\) is not valid JSON/);
    const tooLarge = await post(ndjson([...views('large', 2), { id: 'large-2', page: 'x'.repeat(20_000) }]));
    assert.equal(tooLarge.status, 400);
    assert.match(tooLarge.json<{ error: { message: string } }>().error.message, /^body: record 2 \(line 3\) is \d+ bytes of JSON; a record holds at most 16384/);
    const notJson = await post('[1, 2', { ...auth, 'content-type': 'application/json' });
    assert.equal(notJson.status, 400);
    const seen = await committedIds((ids) => ids.filter((id) => id.startsWith('first-')).length >= 3);
    assert.deepEqual(seen.filter((id) => !id.startsWith('first-')), [], 'nothing of the refused requests');
  });

  it('counts 1,000 concurrent appends from 10 writers exactly once: every acknowledged event, none twice', async () => {
    const flood = await call(mf, '/test/flood', { method: 'POST', headers: auth });
    const results = flood.json<{ id: string; page: string; status: number }[]>();
    const acknowledged = results.filter((r) => r.status === 200).map((r) => r.id);
    assert.equal(results.length, 1000);
    assert.equal(acknowledged.length, 1000, `every append was acknowledged (answers: ${[...new Set(results.map((r) => r.status))].join(', ')})`);
    const seen = (await committedIds((ids) => ids.filter((id) => id.startsWith('w')).length >= acknowledged.length)).filter((id) => id.startsWith('w'));
    assert.equal(seen.length, 1000, 'no event twice');
    assert.deepEqual([...seen].sort(), [...acknowledged].sort());
    const counted = (await call(mf, '/tables/views')).json<{ page: string; views: number }[]>();
    const expected = new Map<string, number>();
    for (const page of [...results.map((r) => r.page), '/page/0', '/page/1', '/page/2']) expected.set(page, (expected.get(page) ?? 0) + 1); // and the first test's three
    assert.deepEqual(new Map(counted.map((c) => [c.page, c.views])), expected, 'the views per page are the acknowledged events per page');
  });
});
