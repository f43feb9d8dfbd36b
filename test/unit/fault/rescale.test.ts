import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { job, readTable, run, sinks, sources } from 'weir';

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

describe('restoring a checkpoint at another parallelism', () => {
  for (const target of [1, 2, 3]) {
    it(`a job stopped at parallelism 4 after a checkpoint resumes at ${target} with every key intact and every record once`, async () => {
      const name = `rescale-4-to-${target}`;
      const first = await run(countingJob(name), { parallelism: 4, checkpointing: { intervalMs: 20 } });
      // Stop mid-stream, once a periodic checkpoint has completed.
      await new Promise<void>((resolve) => {
        const off = first.on('checkpoint', (c) => {
          if (c.status === 'completed' && c.id >= 2) {
            off();
            resolve();
          }
        });
      });
      // A completed checkpoint's commits land just after its 'checkpoint' event: wait for some before stopping.
      for (let i = 0; i < 200 && (await readTable<number>(name, 'seen')).length === 0; i++) await new Promise((r) => setTimeout(r, 5));
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
