// The seed example (examples/checkpoint-example.job.ts) in worker_threads: its window sums are
// exact, its bad lines are dead letters, also when workers are killed at random moments while
// windows are open.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readTable, run } from 'weir';
import { assertExactWindowSums as assertExact } from '../support/seed-example-check.js';
import { seededRandom } from '../support/seeded-random.js';

const jobUrl = (name: string, lines: number) => new URL(`../../examples/checkpoint-example.job.js?name=${name}&lines=${lines}`, import.meta.url);

describe('the seed example: 5 s tumbling window sums in workers', () => {
  it('commits exact sums and every bad line as a dead letter', async () => {
    const lines = 30_000;
    const handle = await run(jobUrl('seed-clean', lines), { parallelism: 2, storage: 'memory', checkpointing: { intervalMs: 100 } });
    await handle.done;
    assertExact(await readTable('seed-clean', 'window-sums'), lines, await readTable('seed-clean', 'dead-letters'));
  });

  for (const seed of [11, 12]) {
    it(`stays exact when workers are killed at random moments (seed ${seed})`, async () => {
      const lines = 60_000;
      const name = `seed-faults-${seed}`;
      const random = seededRandom(seed);
      const handle = await run(jobUrl(name, lines), {
        parallelism: 2, storage: 'memory', checkpointing: { intervalMs: 30 },
        restart: { strategy: 'fixed-delay', attempts: 20, delayMs: 10 },
      });
      let kills = 0;
      let restoredFromCheckpoint = 0;
      handle.on('restore', (e) => {
        if (e.checkpointId !== undefined) restoredFromCheckpoint++;
      });
      // Kill only after a checkpoint completed, so restores start from open windows (not from scratch).
      handle.on('checkpoint', (c) => {
        if (c.status !== 'completed' || c.final || kills >= 3 || handle.status() !== 'running' || (kills > 0 && random() < 0.4)) return;
        kills++;
        setTimeout(() => handle.injectFailure({ worker: Math.floor(random() * 2) }), random() * 40);
      });
      const result = await handle.done;
      assert.ok(kills >= 1 && result.restarts >= 1, 'a worker was killed mid-stream');
      assert.ok(restoredFromCheckpoint >= 1, 'the job restored open windows from a checkpoint');
      assertExact(await readTable(name, 'window-sums'), lines, await readTable(name, 'dead-letters'));
    });
  }
});
