import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { job, MemoryCheckpointStorage, readTable, run, type JobHandle } from 'weir';
import { checkExactlyOnce } from '../support/counting-pipeline.js';
import { FaultyStorage, gate as openLater, isTableCommitKey } from '../support/faulty-storage.js';
import { buildGatedPipeline, type Gate } from '../support/gated-source.js';

// Issue 10, item 5: a superseded runner must not be able to delete or roll back anything of the
// live one, whatever it was doing when the new runner claimed the job.

const TOTAL = 6_000;
const KEYS = 7;

async function commitUntil(handle: JobHandle, storage: MemoryCheckpointStorage, name: string, rows: number): Promise<void> {
  for (let round = 0; (await readTable(name, 'seen', { storage })).length < rows; round++) {
    assert.ok(round < 1000, `'seen' never reached ${rows} rows`);
    await handle.triggerCheckpoint();
  }
}

describe('fencing a superseded runner', () => {
  it('a runner that was recovering when another claimed the job deletes and rolls back nothing of the new runner: it stops, the new one ends exactly once', async () => {
    const memory = new MemoryCheckpointStorage();
    const stale = new FaultyStorage(memory);
    const name = 'fencing-recovering-runner';
    const gate: Gate = { allowed: 2_000 };
    const build = () => job(name, (env) => buildGatedPipeline(env, TOTAL, KEYS, gate));
    const first = await run(build(), { storage: stale, checkpointing: { intervalMs: 3_600_000, retained: 2 }, restart: { strategy: 'fixed-delay', attempts: 5, delayMs: 0 } });
    let second: JobHandle | undefined;
    try {
      await commitUntil(first, memory, name, 2_000);
      // The first runner meets a damaged journal in a commit, and its recovery is held just before it fences its attempt.
      let armed = true;
      let held = false;
      const recovering = openLater();
      const release = openLater();
      stale.plan.corrupt = (op, keys) => op === 'putMetadata' && keys.some(isTableCommitKey) && armed && !(armed = false);
      stale.plan.hold = (op, keys) => {
        if (armed || held || op !== 'putMetadata' || !keys.some((k) => k.endsWith('/attempt'))) return undefined;
        held = true;
        recovering.open();
        return release.promise;
      };
      gate.allowed = 3_000;
      // Checkpoints until one commits rows (and so meets the damage).
      while (stale.injected.corrupt === 0) await first.triggerCheckpoint().catch(() => undefined);
      await recovering.promise;
      // Meanwhile a second runner claims the job, restores and commits a checkpoint of its own.
      second = await run(build(), { storage: memory, checkpointing: { intervalMs: 3_600_000, retained: 2 } });
      gate.allowed = 4_000;
      await commitUntil(second, memory, name, 3_000);
      const before = (await memory.listMetadata(`jobs/${name}/`)).filter((k) => !k.endsWith('/epoch') && !k.endsWith('/attempt'));
      release.open();
      await assert.rejects(first.done, (error: { code?: string }) => error.code === 'STORAGE_FENCED');
      assert.equal(stale.injected.corrupt, 1);
      assert.equal(stale.injected.held, 1);
      const after = (await memory.listMetadata(`jobs/${name}/`)).filter((k) => !k.endsWith('/epoch') && !k.endsWith('/attempt'));
      assert.deepEqual(after.filter((k) => !before.includes(k)), [], 'the stale runner added nothing');
      assert.deepEqual(before.filter((k) => !after.includes(k)), [], 'the stale runner deleted nothing');
      gate.allowed = TOTAL;
      assert.equal((await second.done).status, 'finished');
      await checkExactlyOnce((j, t) => readTable(j, t, { storage: memory }), name, TOTAL, KEYS);
    } finally {
      await first.cancel();
      await second?.cancel();
    }
  });
});
