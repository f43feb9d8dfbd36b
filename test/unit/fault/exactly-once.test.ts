import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { job, readTable, run, type JobHandle } from 'weir';
import { buildCountingPipeline, checkExactlyOnce, checkNothingLost } from '../../support/counting-pipeline.js';
import { seededRandom } from '../../support/seeded-random.js';

// Every fault-tolerance claim is checked with faults injected (a killed task set, a user
// function that throws), against what a fault-free run commits.

const RECORDS = 100_000;
const KEYS = 97;

/** Records the job's user function threw on, the first time it met each (per job name). */
const thrownOnce = new Map<string, Set<number>>();

function pipeline(name: string, poison: ReadonlySet<number>) {
  const thrown = new Set<number>();
  thrownOnce.set(name, thrown);
  return job(name, (env) =>
    buildCountingPipeline(env, {
      records: RECORDS,
      keys: KEYS,
      ratePerSecond: 400_000,
      inspect: (n) => {
        if (poison.has(n) && !thrown.has(n)) {
          thrown.add(n);
          throw new Error(`poisoned record ${n}`);
        }
      },
    }),
  );
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
    await checkExactlyOnce(readTable, name, RECORDS, KEYS);
  });

  for (let seed = 1; seed <= 20; seed++) {
    it(`seed ${seed}: killed task sets and throwing user functions at random moments commit the fault-free output`, async () => {
      const random = seededRandom(seed);
      const name = `eo-seed-${seed}`;
      const poison = new Set(Array.from({ length: 3 }, () => Math.floor(random() * RECORDS)));
      const handle = await run(pipeline(name, poison), {
        parallelism: 1 + (seed % 3),
        checkpointing: { intervalMs: 5 + Math.floor(random() * 30) },
        restart: { strategy: 'fixed-delay', attempts: 1000, delayMs: Math.floor(random() * 5) },
      });
      const stop = injectFailuresAtRandom(handle, random, 4, 400);
      const result = await handle.done;
      stop();
      assert.equal(result.status, 'finished');
      assert.equal(thrownOnce.get(name)!.size, poison.size, 'every poisoned record was met and thrown on');
      // Two poisoned records met by different subtasks in the same attempt share one restart.
      assert.ok(result.restarts >= 1, `the failures led to restarts (got ${result.restarts})`);
      assert.ok(handle.checkpoints().some((c) => c.status === 'completed' && !c.final), 'periodic checkpoints completed between failures');
      await checkExactlyOnce(readTable, name, RECORDS, KEYS);
    });
  }

  it('at-least-once mode under the same faults loses nothing', async () => {
    const name = 'alo-faults';
    const handle = await run(pipeline(name, new Set([1234, 56789])), {
      parallelism: 3,
      checkpointing: { intervalMs: 10, mode: 'at-least-once' },
      restart: { strategy: 'fixed-delay', attempts: 1000, delayMs: 1 },
    });
    const stop = injectFailuresAtRandom(handle, seededRandom(99), 4, 400);
    await handle.done;
    stop();
    await checkNothingLost(readTable, name, RECORDS, KEYS);
  });
});
