import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { job, readTable, run, sinks, sources, type JobHandle } from 'weir';
import { seededRandom } from '../../support/seeded-random.js';

// Every fault-tolerance claim is checked with faults injected (a killed task set, a user
// function that throws), against what a fault-free run commits.

const RECORDS = 100_000;
const KEYS = 97;

interface Running {
  key: number;
  count: number;
  sum: number;
}

/** Records the job's user function throws on, the first time it meets each (per job name). */
const thrownOnce = new Map<string, Set<number>>();

function pipeline(name: string, poison: ReadonlySet<number>) {
  const thrown = new Set<number>();
  thrownOnce.set(name, thrown);
  return job(name, (env) => {
    const numbers = env
      .fromSource(sources.sequence({ from: 0, to: RECORDS, ratePerSecond: 400_000 }), { uid: 'numbers' })
      .map((n) => {
        if (poison.has(n) && !thrown.has(n)) {
          thrown.add(n);
          throw new Error(`poisoned record ${n}`);
        }
        return n;
      })
      .uid('check');
    numbers.sinkTo(sinks.table('seen'), { uid: 'seen' });
    numbers
      .map((n): Running => ({ key: n % KEYS, count: 1, sum: n }))
      .uid('to-running')
      .keyBy((r) => r.key)
      .reduce((a, b) => ({ key: a.key, count: a.count + b.count, sum: a.sum + b.sum }))
      .uid('running-sum')
      .sinkTo(sinks.table('running'), { uid: 'running' });
  });
}

/** What any correct run commits, whatever the order records met: each count 1..n once per key, and the final sums. */
function expectedPerKey(): Map<number, { n: number; sum: number }> {
  const m = new Map<number, { n: number; sum: number }>();
  for (let i = 0; i < RECORDS; i++) {
    const e = m.get(i % KEYS) ?? { n: 0, sum: 0 };
    e.n++;
    e.sum += i;
    m.set(i % KEYS, e);
  }
  return m;
}

async function checkExactlyOnce(name: string) {
  const seen = await readTable<number>(name, 'seen');
  assert.equal(seen.length, RECORDS, `${name}: 'seen' holds ${seen.length} records, expected ${RECORDS}`);
  const sorted = Int32Array.from(seen).sort();
  for (let i = 0; i < RECORDS; i++) if (sorted[i] !== i) assert.fail(`${name}: 'seen' misses or repeats record ${i}`);

  const running = await readTable<Running>(name, 'running');
  const expected = expectedPerKey();
  assert.equal(running.length, RECORDS, `${name}: 'running' holds ${running.length} updates, expected ${RECORDS}`);
  const counts = new Map<number, number[]>();
  const finalSum = new Map<number, number>();
  for (const r of running) {
    (counts.get(r.key) ?? counts.set(r.key, []).get(r.key)!).push(r.count);
    if (r.count === expected.get(r.key)!.n) finalSum.set(r.key, r.sum);
  }
  for (const [key, { n, sum }] of expected) {
    const c = counts.get(key)!.sort((a, b) => a - b);
    assert.equal(c.length, n, `${name}: key ${key} has ${c.length} updates, expected ${n}`);
    for (let i = 0; i < n; i++) if (c[i] !== i + 1) assert.fail(`${name}: key ${key} update counts are not exactly 1..${n} (at ${i}: ${c[i]})`);
    assert.equal(finalSum.get(key), sum, `${name}: key ${key} ends with sum ${finalSum.get(key)}, expected ${sum}`);
  }
}

function injectFailuresAtRandom(handle: JobHandle, random: () => number, count: number, withinMs: number): () => void {
  const timers = Array.from({ length: count }, () =>
    setTimeout(() => {
      if (handle.status() === 'running') handle.injectFailure();
    }, Math.floor(random() * withinMs)),
  );
  return () => timers.forEach(clearTimeout);
}

describe('exactly-once under faults (in-process)', () => {
  it('a fault-free run commits every record once and every key its exact running counts and sum', async () => {
    const name = 'eo-fault-free';
    const handle = await run(pipeline(name, new Set()), { parallelism: 2, checkpointing: { intervalMs: 20 } });
    const result = await handle.done;
    assert.equal(result.status, 'finished');
    assert.equal(result.restarts, 0);
    await checkExactlyOnce(name);
  });

  for (let seed = 1; seed <= 20; seed++) {
    it(`seed ${seed}: killed task sets and throwing user functions at random moments commit the fault-free output`, async () => {
      const random = seededRandom(seed);
      const name = `eo-seed-${seed}`;
      const poison = new Set(Array.from({ length: 3 }, () => Math.floor(random() * RECORDS)));
      const parallelism = 1 + (seed % 3);
      const handle = await run(pipeline(name, poison), {
        parallelism,
        checkpointing: { intervalMs: 5 + Math.floor(random() * 30) },
        restart: { strategy: 'fixed-delay', attempts: 1000, delayMs: Math.floor(random() * 5) },
      });
      const restarts: unknown[] = [];
      handle.on('restart', (e) => restarts.push(e.cause));
      const stop = injectFailuresAtRandom(handle, random, 4, 400);
      const result = await handle.done;
      stop();
      assert.equal(result.status, 'finished');
      assert.ok(thrownOnce.get(name)!.size === poison.size, `every poisoned record was met and thrown on (${thrownOnce.get(name)!.size}/${poison.size})`);
      // Two poisoned records met by different subtasks in the same attempt share one restart.
      assert.ok(result.restarts >= 1, `the failures led to restarts (got ${result.restarts})`);
      assert.ok(handle.checkpoints().some((c) => c.status === 'completed' && !c.final), 'periodic checkpoints completed between failures');
      await checkExactlyOnce(name);
    });
  }

  it('at-least-once mode under the same faults loses nothing', async () => {
    const random = seededRandom(99);
    const name = 'alo-faults';
    const handle = await run(pipeline(name, new Set([1234, 56789])), {
      parallelism: 3,
      checkpointing: { intervalMs: 10, mode: 'at-least-once' },
      restart: { strategy: 'fixed-delay', attempts: 1000, delayMs: 1 },
    });
    const stop = injectFailuresAtRandom(handle, random, 4, 400);
    await handle.done;
    stop();
    const seen = new Set(await readTable<number>(name, 'seen'));
    for (let i = 0; i < RECORDS; i++) if (!seen.has(i)) assert.fail(`record ${i} was lost`);
    const counts = new Map<number, Set<number>>();
    for (const r of await readTable<Running>(name, 'running')) (counts.get(r.key) ?? counts.set(r.key, new Set()).get(r.key)!).add(r.count);
    for (const [key, { n }] of expectedPerKey()) {
      for (let i = 1; i <= n; i++) if (!counts.get(key)!.has(i)) assert.fail(`key ${key}: update ${i} was lost`);
    }
  });
});
