import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { job, readTable, run } from 'weir';
import { buildCountingPipeline, checkExactlyOnce, checkNothingLost } from '../../support/counting-pipeline.js';
import { FaultLog, killMoments, type KillMoment } from '../../support/fault-log.js';
import { seededRandom } from '../../support/seeded-random.js';

// Every fault-tolerance claim is checked with faults injected (a killed task set, a user
// function that throws), against what a fault-free run commits. The faults are counted: each
// one injected, and nothing else, must restart the job (test/support/fault-log.ts).

const RECORDS = 100_000;
const KEYS = 97;

/** The fault log of each job (per job name): its user function's throws are recorded there. */
const logs = new Map<string, { log?: FaultLog; thrown: Set<number> }>();

function pipeline(name: string, poison: ReadonlySet<number>) {
  const faults = { thrown: new Set<number>() } as { log?: FaultLog; thrown: Set<number> };
  logs.set(name, faults);
  return job(name, (env) =>
    buildCountingPipeline(env, {
      records: RECORDS,
      keys: KEYS,
      ratePerSecond: 400_000,
      // Each reader holds after 20 000 records until 3 checkpoints of its attempt completed while it held:
      // a kill planned at an attempt's first or second checkpoint comes before its input ends, at any speed.
      hold: { after: 20_000, checkpoints: 3 },
      inspect: (n) => {
        if (poison.has(n) && !faults.thrown.has(n)) {
          faults.thrown.add(n);
          faults.log!.thrown();
          throw new Error(`poisoned record ${n}`);
        }
      },
    }),
  );
}

async function runWithFaults(name: string, poison: ReadonlySet<number>, options: Parameters<typeof run>[1], kills: KillMoment[]) {
  const handle = await run(pipeline(name, poison), options);
  const log = new FaultLog(handle).killAt({ moments: kills });
  logs.get(name)!.log = log;
  const result = await handle.done;
  log.stop();
  return { handle, log, result };
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
    it(`seed ${seed}: killed task sets and throwing user functions, each fault counted, commit the fault-free output`, async (t) => {
      const random = seededRandom(seed);
      const name = `eo-seed-${seed}`;
      const poison = new Set(Array.from({ length: 3 }, () => Math.floor(random() * RECORDS)));
      const kills = killMoments(random, 4);
      const { handle, log, result } = await runWithFaults(name, poison, {
        parallelism: 1 + (seed % 3),
        checkpointing: { intervalMs: 5 + Math.floor(random() * 30) },
        restart: { strategy: 'fixed-delay', attempts: 1000, delayMs: Math.floor(random() * 5) },
      }, kills);
      assert.equal(result.status, 'finished');
      assert.equal(logs.get(name)!.thrown.size, poison.size, 'every poisoned record was met and thrown on');
      t.diagnostic(`kills at ${JSON.stringify(kills)}; faults ${JSON.stringify(log.faults)}; restored from ${JSON.stringify(log.restores)}`);
      assert.ok(log.kills.length >= 1, `a task set was killed after a checkpoint: ${JSON.stringify(log.faults)}`);
      // Two poisoned records met by different subtasks in the same attempt share one restart: counted per attempt.
      assert.equal(log.mismatch(), undefined);
      assert.equal(result.restarts, log.restarts.length, 'the result counts every restart');
      assert.ok(handle.checkpoints().some((c) => c.status === 'completed' && !c.final), 'periodic checkpoints completed between failures');
      await checkExactlyOnce(readTable, name, RECORDS, KEYS);
    });
  }

  it('at-least-once mode under the same faults loses nothing', async () => {
    const name = 'alo-faults';
    const kills = killMoments(seededRandom(99), 4);
    const { log, result } = await runWithFaults(name, new Set([1234, 56789]), {
      parallelism: 3,
      checkpointing: { intervalMs: 10, mode: 'at-least-once' },
      restart: { strategy: 'fixed-delay', attempts: 1000, delayMs: 1 },
    }, kills);
    assert.equal(result.status, 'finished');
    assert.equal(logs.get(name)!.thrown.size, 2, 'both poisoned records were thrown on');
    assert.ok(log.kills.length >= 1, `a task set was killed after a checkpoint: ${JSON.stringify(log.faults)}`);
    assert.equal(log.mismatch(), undefined);
    assert.equal(result.restarts, log.restarts.length, 'the result counts every restart');
    await checkNothingLost(readTable, name, RECORDS, KEYS);
  });
});
