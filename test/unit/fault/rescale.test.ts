import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { job, ManualClock, readTable, run, sinks, sources, type CheckpointStats, type JobHandle } from 'weir';

const RECORDS = 60_000;
const KEYS = 251;

function countingJob(name: string) {
  return job(name, (env) => {
    const numbers = env.fromSource(sources.sequence({ from: 0, to: RECORDS, ratePerSecond: 60_000 }), { uid: 'numbers' });
    numbers.sinkTo(sinks.table('seen'), { uid: 'seen' });
    numbers
      .map((n) => ({ key: `k${n % KEYS}`, count: 1 }))
      .uid('to-count')
      .keyBy((r) => r.key)
      .sum('count')
      .uid('counts')
      .sinkTo(sinks.table('counts', { key: 'key' }), { uid: 'counts-table' });
  });
}

/** The job's next 'checkpoint' event (completed or failed). */
function checkpointEvent(handle: JobHandle): Promise<CheckpointStats> {
  return new Promise((resolve) => {
    const off = handle.on('checkpoint', (c) => {
      off();
      resolve(c);
    });
  });
}

describe('restoring a checkpoint at another parallelism', () => {
  for (const target of [1, 2, 3]) {
    it(`a job stopped at parallelism 4 after a checkpoint resumes at ${target} with every key intact and every record once`, async () => {
      const name = `rescale-4-to-${target}`;
      // The first run's clock moves only when the test moves it, and its source is rate-limited on that
      // clock: the input stops where the clock stops, so the run is stopped mid-stream however loaded
      // the machine (with real time, a stall lets the source catch up to the end before a checkpoint).
      const clock = new ManualClock(0);
      const first = await run(countingJob(name), { parallelism: 4, checkpointing: { intervalMs: 20 }, clock });
      // Twenty clock-milliseconds at a time (the checkpoint interval): each step triggers a checkpoint; step
      // again once it completed or failed, until checkpoint 2 completed.
      for (let completed = 0; completed < 2;) {
        const next = checkpointEvent(first);
        clock.advance(20);
        if ((await next).status === 'completed') completed++;
      }
      // A checkpoint's commits: triggerCheckpoint() resolves once every sink committed it.
      await first.triggerCheckpoint();
      await first.cancel();
      const committedBefore = (await readTable<number>(name, 'seen')).length;
      assert.ok(committedBefore > 0 && committedBefore < RECORDS, `the first run committed part of the input (${committedBefore})`);

      const second = await run(countingJob(name), { parallelism: target, checkpointing: { intervalMs: 20 } });
      const result = await second.done;
      assert.equal(result.status, 'finished');

      const seen = (await readTable<number>(name, 'seen')).sort((a, b) => a - b);
      assert.equal(seen.length, RECORDS);
      seen.forEach((n, i) => assert.equal(n, i));
      const counts = new Map((await readTable<{ key: string; count: number }>(name, 'counts')).map((r) => [r.key, r.count]));
      assert.equal(counts.size, KEYS);
      for (let k = 0; k < KEYS; k++) {
        const expected = Math.floor(RECORDS / KEYS) + (k < RECORDS % KEYS ? 1 : 0);
        assert.equal(counts.get(`k${k}`), expected, `key k${k}`);
      }
    });
  }
});
