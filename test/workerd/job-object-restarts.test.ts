// Job objects at parallelism 1 and 3 while the whole runtime is disposed and started again on
// the same persist folder, four times, each time right after an awaited checkpoint of every
// object and with an append on its way to each: every acknowledged event is counted exactly
// once, and no event (acknowledged or not) twice. Two seeds run side by side, each on objects of
// its own, so each seed's random appends live through the four restarts.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Miniflare } from 'miniflare';
import type { PageView } from '../../examples/page-views.job.js';
import { seededRandom } from '../support/seeded-random.js';
import { bundleWorker, call, startWorker } from './support/workerd-harness.js';

const { code } = await bundleWorker('test/workerd/fixtures/events-worker.ts');
const persist = await mkdtemp(join(tmpdir(), 'weir-restarts-'));
const options = {
  durableObjects: { EVENTS1: { className: 'Events1', useSQLite: true }, EVENTS3: { className: 'Events3', useSQLite: true } },
  durableObjectsPersist: persist,
};
let mf: Miniflare = startWorker(code, options);
after(async () => {
  await mf.dispose();
  await rm(persist, { recursive: true, force: true });
});

const SEEDS = [1, 2];
const RESTARTS = 4;

interface Status {
  status: string;
  latestCheckpoint: { id: number } | null;
  error?: { message: string };
}

/** One job object of one seed: `/<parallelism>/<name>`, the events it acknowledged. */
class Target {
  readonly acknowledged = new Set<string>();
  constructor(readonly path: string) {}

  async checkpoint(): Promise<number> {
    const s = (await call(mf, `${this.path}/status`)).json<Status>();
    if (s.status === 'failed') assert.fail(`${this.path} failed: ${s.error?.message}`);
    return s.latestCheckpoint?.id ?? 0;
  }

  /** Waits until a checkpoint completed after this call (two later: the first may have been triggered before it). */
  async awaitCheckpoint(): Promise<void> {
    const start = await this.checkpoint();
    for (let i = 0; i < 6000; i++) {
      if ((await this.checkpoint()) >= start + 2) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.fail(`${this.path}: no checkpoint completed`);
  }

  /** '' when acknowledged, else the answer. */
  async append(views: PageView[]): Promise<string> {
    const r = await call(mf, `${this.path}/logs/events`, { method: 'POST', body: JSON.stringify(views), headers: { 'content-type': 'application/json' } });
    if (r.status !== 200) return `${r.status} ${r.text}`;
    for (const v of views) this.acknowledged.add(v.id);
    return '';
  }

  seen = async (): Promise<string[]> => (await call(mf, `${this.path}/tables/seen`)).json<string[]>();
}

class Seed {
  readonly targets: Target[];
  readonly random: () => number;
  next = 0;
  constructor(readonly seed: number) {
    this.random = seededRandom(seed);
    this.targets = [new Target(`/1/page-views-${seed}`), new Target(`/3/page-views-${seed}`)];
  }

  batch(): PageView[] {
    return Array.from({ length: 1 + Math.floor(this.random() * 20) }, () => ({ id: `s${this.seed}-${this.next++}`, page: `/p/${Math.floor(this.random() * 6)}` }));
  }

  /** A few appends to each object, then a checkpoint of each awaited. */
  async round(): Promise<void> {
    for (const t of this.targets) {
      for (let posts = 1 + Math.floor(this.random() * 6); posts > 0; posts--) assert.equal(await t.append(this.batch()), '', `${t.path}: an append while the runtime runs`);
      await t.awaitCheckpoint();
    }
  }

  async check(): Promise<void> {
    for (const t of this.targets) {
      assert.equal(await t.append(this.batch()), '', `${t.path}: an append after the last restart`);
      // A source in a shard object reads the log in the coordinator's storage: wait (bounded) until the table has caught up.
      for (let i = 0; i < 3000 && ![...t.acknowledged].every(((seen) => (id: string) => seen.has(id))(new Set(await t.seen()))); i++) await new Promise((r) => setTimeout(r, 20));
      await t.awaitCheckpoint(); // and a little longer: a duplicate would show now
      const seen = await t.seen();
      assert.equal(new Set(seen).size, seen.length, `${t.path}: no event counted twice (${seen.length - new Set(seen).size} duplicates)`);
      assert.deepEqual([...t.acknowledged].filter((id) => !seen.includes(id)), [], `${t.path}: every acknowledged event counted`);
      assert.ok(t.acknowledged.size >= 20, `${t.path}: ${t.acknowledged.size} events acknowledged`);
      const views = (await call(mf, `${t.path}/tables/views`)).json<{ views: number }[]>();
      assert.equal(views.reduce((n, v) => n + v.views, 0), seen.length, `${t.path}: the views per page add up to the events seen`);
    }
  }
}

describe('job objects (parallelism 1 and 3) through restarts of the whole runtime', () => {
  it(`seeds ${SEEDS.join(' and ')}: ${RESTARTS} restarts after awaited checkpoints, appends in flight; every acknowledged event once, none twice`, async () => {
    const seeds = SEEDS.map((s) => new Seed(s));
    let restarts = 0;
    for (let restart = 0; restart < RESTARTS; restart++) {
      await Promise.all(seeds.map((s) => s.round()));
      // Appends on their way while the runtime goes down: each may or may not have landed.
      const inFlight = seeds.flatMap((s) => s.targets.map((t) => t.append(s.batch()).catch(() => 'failed')));
      await mf.dispose();
      await Promise.all(inFlight);
      mf = startWorker(code, options);
      restarts++;
    }
    assert.equal(restarts, RESTARTS);
    for (const s of seeds) await s.check();
  });
});
