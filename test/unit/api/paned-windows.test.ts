// Sliding windows of an aggregate with merge, through the public API: they keep one accumulator
// per key and slide (panes) and merge a window's panes when it fires. Their output equals a
// straightforward count of the events and the same aggregate without merge (whole windows), also
// after a kill mid-stream and after a rescale through a savepoint.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { job, run, readTable, sources, sinks, windows, ManualClock, WatermarkStrategy, type AggregateFunction, type StreamEnvironment } from 'weir';
import { advanceByCheckpoints, advanceUntilSettled, multiset, uniqueJobName } from './api-test-helpers.js';
import { seededRandom } from '../../support/seeded-random.js';

const N = 3000;
const KEYS = 7;
const SIZE_MS = 100;
const SLIDE_MS = 20;
/** Out of order by up to 39 ms; the bound (40 ms) leaves no record late, so the expected output does not depend on batches. */
const JITTER = Array.from({ length: N }, seededRandom(11)).map((r) => Math.floor(r * 40));
const BOUND = 40;
const timestampOf = (n: number) => 1000 + 3 * n - JITTER[n]!;
const valueOf = (n: number) => (n * 7919) % 101;

interface Stats {
  key: number;
  sum: number;
  count: number;
  max: number;
}

const create = (): Stats => ({ key: -1, sum: 0, count: 0, max: -Infinity });
const add = (acc: Stats, n: number): Stats => {
  acc.key = n % KEYS;
  acc.sum += valueOf(n);
  acc.count++;
  acc.max = Math.max(acc.max, valueOf(n));
  return acc;
};
const result = (acc: Stats): Stats => acc;
/** Changes both accumulators, as Flink's contract allows: a pane that later windows still read must reach it as a copy. */
const merge = (a: Stats, b: Stats): Stats => {
  a.key = b.key;
  a.sum += b.sum;
  a.count += b.count;
  a.max = Math.max(a.max, b.max);
  b.sum = b.count = -1;
  return a;
};

/** Each key's windows counted from the events directly. */
function expectedStats(): Stats[] {
  const windowsOf = new Map<string, Stats>();
  for (let n = 0; n < N; n++) {
    const t = timestampOf(n);
    for (let start = Math.floor(t / SLIDE_MS) * SLIDE_MS; start > t - SIZE_MS; start -= SLIDE_MS) {
      const id = `${n % KEYS}@${start}`;
      windowsOf.set(id, add(windowsOf.get(id) ?? create(), n));
    }
  }
  return [...windowsOf.values()];
}

const build = (withMerge: boolean, ratePerSecond?: number) => (env: StreamEnvironment) => {
  const fn: AggregateFunction<number, Stats, Stats> = withMerge ? { create, add, result, merge } : { create, add, result };
  env.fromSource(sources.sequence({ from: 0, to: N, ratePerSecond }), {
    uid: 'numbers',
    watermarks: WatermarkStrategy.forBoundedOutOfOrderness<number>(BOUND).withTimestampAssigner(timestampOf),
  })
    .keyBy((n) => n % KEYS)
    .window(windows.sliding({ sizeMs: SIZE_MS, slideMs: SLIDE_MS }))
    .aggregate(fn).uid('stats')
    .sinkTo(sinks.table('out'), { uid: 'out' });
};

describe('sliding windows of an aggregate with merge (panes)', () => {
  const expected = multiset(expectedStats());

  it('give every window of every key as counted from the events, as the same aggregate without merge does', async () => {
    assert.ok(expected.length > 500, `${expected.length} windows`);
    for (const withMerge of [true, false]) {
      const name = uniqueJobName(`paned-${withMerge}`);
      const handle = await run(job(name, build(withMerge)), { parallelism: 2, checkpointing: { intervalMs: 5 } });
      assert.equal((await handle.done).status, 'finished');
      assert.deepEqual(multiset(await readTable<Stats>(name, 'out')), expected, withMerge ? 'panes' : 'whole windows');
    }
  });

  it('a kill mid-stream after a completed checkpoint: every window once, as without the kill', async () => {
    const name = uniqueJobName('paned-kill');
    const clock = new ManualClock(0);
    // 30 records per 1 ms of the clock: the kill comes after checkpoint 3, about 900 records in, however loaded the machine.
    const handle = await run(job(name, build(true, 30_000)), {
      checkpointing: { intervalMs: 10 },
      restart: { strategy: 'fixed-delay', attempts: 3, delayMs: 0 },
      clock,
    });
    const restarts: unknown[] = [];
    handle.on('restart', (e) => restarts.push((e.cause as { code?: string }).code));
    const before = await advanceByCheckpoints(clock, handle, 10, (c) => c.status === 'completed' && !c.final && c.id >= 3);
    assert.ok(before.stateSize > 0, 'the checkpoint held window state');
    handle.injectFailure();
    await advanceUntilSettled(clock, handle.done, 10);
    const done = await handle.done;
    assert.equal(done.status, 'finished');
    assert.deepEqual(restarts, ['INJECTED_FAILURE'], 'one fault, the injected one');
    assert.deepEqual(multiset(await readTable<Stats>(name, 'out')), expected);
  });

  it('a savepoint mid-stream at parallelism 1, resumed at parallelism 3: every window once', async () => {
    const name = uniqueJobName('paned-rescale');
    const clock = new ManualClock(0);
    const first = await run(job(name, build(true, 30_000)), { checkpointing: { intervalMs: 10 }, clock });
    await advanceByCheckpoints(clock, first, 10, (c) => c.status === 'completed' && !c.final && c.id >= 3);
    const savepoint = await first.stop({ savepoint: true });
    const partial = (await readTable<Stats>(name, 'out')).length;
    assert.ok(partial > 0 && partial < expected.length, `windows committed before the savepoint: ${partial} of ${expected.length}`);
    const second = await run(job(name, build(true)), { parallelism: 3, resume: { savepoint }, checkpointing: { intervalMs: 5 } });
    assert.equal((await second.done).status, 'finished');
    assert.deepEqual(multiset(await readTable<Stats>(name, 'out')), expected);
  });
});
