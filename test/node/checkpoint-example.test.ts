// The seed example (examples/checkpoint-example.job.ts) in worker_threads: its window sums are
// exact, its bad lines are dead letters, also when workers are killed at random moments while
// windows are open.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readTable, run, type RestartEvent } from 'weir';
import { assertExactWindowSums as assertExact } from '../support/seed-example-check.js';
import { seededRandom } from '../support/seeded-random.js';

const jobUrl = (name: string, lines: number) => new URL(`../../examples/checkpoint-example.job.js?name=${name}&lines=${lines}`, import.meta.url);
// The same job, its source readers each holding after a quarter of the lines until 2 checkpoints of their
// attempt completed (test/support/held-source.ts): the first kill below always comes, mid-stream, at any speed.
const heldJobUrl = (name: string, lines: number) => new URL(`../support/held-seed-example.job.js?name=${name}&lines=${lines}&after=${lines / 4}&checkpoints=2`, import.meta.url);

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
      const handle = await run(heldJobUrl(name, lines), {
        parallelism: 2, storage: 'memory', checkpointing: { intervalMs: 30 },
        restart: { strategy: 'fixed-delay', attempts: 20, delayMs: 10 },
        // A worker whose deploy outlasts the heartbeat timeout (counted from its spawn) is taken for lost,
        // which a loaded machine does: a WORKER_LOST restart no kill caused. A long timeout keeps the count to the kills.
        heartbeat: { intervalMs: 1000, timeoutMs: 60_000 },
      });
      const killedAfter: number[] = [];
      const restarts: RestartEvent[] = [];
      const restoredFrom: (number | undefined)[] = [];
      handle.on('restart', (e) => restarts.push(e));
      handle.on('restore', (e) => restoredFrom.push(e.checkpointId));
      // Kill in the 'checkpoint' event of a completed periodic checkpoint, while the job runs: a real
      // fault every time (a kill after a delay may find the job already ended), and the restore starts
      // from that checkpoint's open windows, not from scratch.
      handle.on('checkpoint', (c) => {
        if (c.status !== 'completed' || c.final || killedAfter.length >= 3 || handle.status() !== 'running' || (killedAfter.length > 0 && random() < 0.4)) return;
        killedAfter.push(c.id);
        handle.injectFailure({ worker: Math.floor(random() * 2) });
      });
      const result = await handle.done;
      assert.ok(killedAfter.length >= 1, 'a worker was killed mid-stream');
      // Every injected kill, and nothing else, restarted the job, each from the checkpoint it followed.
      assert.deepEqual(
        restarts.map((r) => ({ code: (r.cause as { code?: string }).code, from: r.restoredCheckpointId })),
        killedAfter.map((id) => ({ code: 'INJECTED_FAILURE', from: id })),
        "a 'restart' event per kill, from the checkpoint it followed",
      );
      assert.equal(result.restarts, killedAfter.length, 'restarts = kills injected');
      assert.deepEqual(restoredFrom, [undefined, ...killedAfter], "'restore' events: the start, then each checkpoint a kill followed");
      assertExact(await readTable(name, 'window-sums'), lines, await readTable(name, 'dead-letters'));
    });
  }
});
