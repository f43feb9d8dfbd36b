import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { job, MemoryCheckpointStorage, readSavepoint, readTable, run, type CheckpointStorage, type JobHandle } from 'weir';
import { checkExactlyOnce } from '../../support/counting-pipeline.js';
import { buildGatedPipeline, type Gate } from '../../support/gated-source.js';

// Issue 14: stop-with-savepoint, then a run resumed from it — in the same storage and in another,
// at a smaller and a larger parallelism — commits every record exactly once across both runs.

const TOTAL = 6_000;
const KEYS = 11;

/** Triggers checkpoints until `table` holds `rows` committed rows. */
async function commitUntil(handle: JobHandle, storage: CheckpointStorage, name: string, rows: number): Promise<void> {
  for (let round = 0; (await readTable(name, 'seen', { storage })).length < rows; round++) {
    await handle.triggerCheckpoint();
    assert.ok(round < 1000, `'seen' never reached ${rows} rows`);
  }
}

/** Both storages' tables together: what the two runs committed. */
const union = (a: CheckpointStorage, b: CheckpointStorage) => async <T>(name: string, table: string): Promise<T[]> =>
  a === b ? readTable<T>(name, table, { storage: a }) : [...(await readTable<T>(name, table, { storage: a })), ...(await readTable<T>(name, table, { storage: b }))];

describe('stop-with-savepoint, then resume from it', () => {
  for (const [from, to, same] of [[2, 1, true], [2, 4, true], [3, 2, false], [1, 3, false]] as const) {
    it(`every record once across both runs: parallelism ${from} → ${to}, ${same ? 'same storage' : 'another storage'}`, async () => {
      const name = `sp-stop-${from}-${to}-${same}`;
      const first = new MemoryCheckpointStorage();
      const second = same ? first : new MemoryCheckpointStorage();
      const gate: Gate = { allowed: 0 };
      const build = () => job(name, (env) => buildGatedPipeline(env, TOTAL, KEYS, gate));
      const a = await run(build(), { storage: first, parallelism: from, checkpointing: { intervalMs: 3_600_000 } });
      gate.allowed = 1_000;
      await commitUntil(a, first, name, 1_000);
      // Records read after the last checkpoint: the savepoint's own transaction, committed by the stop.
      gate.allowed = 2_500;
      while ((gate.emitted ?? 0) < 2_500) await new Promise((resolve) => setImmediate(resolve));
      const bytes = await a.stop({ savepoint: true });
      assert.equal((await readTable(name, 'seen', { storage: first })).length, 2_500, 'the stop committed what the savepoint covers');
      assert.equal((await a.done).status, 'finished');
      assert.equal(a.status(), 'finished');
      const taken = readSavepoint(bytes);
      assert.equal(taken.jobName, name);
      const splits = taken.operators.find((o) => o.uid === 'numbers')!.sourceSplits as { next: number }[];
      assert.equal(splits.length, from, 'a split per source subtask');
      gate.allowed = TOTAL;
      const b = await run(build(), { storage: second, parallelism: to, resume: { savepoint: bytes } });
      const restored = new Promise((resolve) => b.on('restore', resolve));
      await b.done;
      assert.deepEqual(await restored, { checkpointId: taken.checkpointId, skipped: [] });
      await checkExactlyOnce(union(first, second), name, TOTAL, KEYS);
    });
  }

  it('a savepoint of a running job leaves it running, and a later resume in the same storage takes back what came after it', async () => {
    const name = 'sp-running';
    const storage = new MemoryCheckpointStorage();
    const gate: Gate = { allowed: 1_500 };
    const build = () => job(name, (env) => buildGatedPipeline(env, TOTAL, KEYS, gate));
    const a = await run(build(), { storage, parallelism: 2, checkpointing: { intervalMs: 3_600_000 } });
    await commitUntil(a, storage, name, 1_500);
    const bytes = await a.savepoint();
    assert.equal(a.status(), 'running');
    gate.allowed = 4_000;
    await commitUntil(a, storage, name, 4_000); // committed after the savepoint: a resume from it takes this back
    await a.cancel();
    gate.allowed = TOTAL;
    const b = await run(build(), { storage, parallelism: 3, resume: { savepoint: bytes } });
    await b.done;
    await checkExactlyOnce((n, t) => readTable(n, t, { storage }), name, TOTAL, KEYS);
  });

  it('resume: { checkpoint } restores a chosen retained checkpoint and takes back what came after it', async () => {
    const name = 'sp-chosen';
    const storage = new MemoryCheckpointStorage();
    const gate: Gate = { allowed: 1_000 };
    const build = () => job(name, (env) => buildGatedPipeline(env, TOTAL, KEYS, gate));
    const a = await run(build(), { storage, parallelism: 2, checkpointing: { intervalMs: 3_600_000, retained: 3 } });
    await commitUntil(a, storage, name, 1_000);
    const chosen = (await a.triggerCheckpoint()).id;
    gate.allowed = 3_000;
    await commitUntil(a, storage, name, 3_000);
    await a.cancel();
    await assert.rejects(run(build(), { storage, resume: { checkpoint: 999 } }), (e: Error & { code?: string }) => e.code === 'INVALID_ARGUMENT' && /no readable checkpoint 999.*retains/.test(e.message));
    gate.allowed = TOTAL;
    const b = await run(build(), { storage, parallelism: 1, resume: { checkpoint: chosen } });
    const restored = new Promise((resolve) => b.on('restore', resolve));
    await b.done;
    assert.deepEqual(await restored, { checkpointId: chosen, skipped: [] });
    await checkExactlyOnce((n, t) => readTable(n, t, { storage }), name, TOTAL, KEYS);
  });
});
