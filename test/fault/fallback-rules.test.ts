import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { job, MemoryCheckpointStorage, readTable, run, type CheckpointStorage, type JobHandle, type RestartEvent, type RestoreEvent } from 'weir';
import { checkExactlyOnce } from '../support/counting-pipeline.js';
import { FaultyStorage, isTableCommitKey } from '../support/faulty-storage.js';
import { buildGatedPipeline, type Gate } from '../support/gated-source.js';

// Issue 10, items 4 and 8: only a checkpoint its restore proved unreadable may be dropped; and a
// restore checks every chunk against the checksum its handle recorded.

const TOTAL = 6_000;
const KEYS = 7;
const read = (storage: CheckpointStorage) => <T>(j: string, t: string) => readTable<T>(j, t, { storage });

async function commitUntil(handle: JobHandle, storage: CheckpointStorage, name: string, rows: number): Promise<number> {
  for (let round = 0; ; round++) {
    const stats = await handle.triggerCheckpoint();
    if ((await readTable(name, 'seen', { storage })).length >= rows) return stats.id;
    assert.ok(round < 1000, `'seen' never reached ${rows} rows`);
  }
}

describe('which failures drop a checkpoint', () => {
  it('a CORRUPT_DATA error that is no restore\'s (a damaged journal met during a sink commit) restarts from the latest checkpoint and drops nothing', async () => {
    const storage = new FaultyStorage(new MemoryCheckpointStorage());
    const name = 'fallback-rule-commit';
    const gate: Gate = { allowed: 2_000 };
    const handle = await run(job(name, (env) => buildGatedPipeline(env, TOTAL, KEYS, gate)), {
      storage, checkpointing: { intervalMs: 3_600_000, retained: 2 }, restart: { strategy: 'fixed-delay', attempts: 5, delayMs: 0 },
    });
    const restarts: RestartEvent[] = [];
    handle.on('restart', (r) => restarts.push(r));
    try {
      const latest = await commitUntil(handle, storage, name, 2_000);
      let armed = true;
      storage.plan.corrupt = (op, keys) => op === 'putMetadata' && keys.some(isTableCommitKey) && armed && !(armed = false);
      gate.allowed = 4_000;
      await handle.triggerCheckpoint().catch(() => undefined);
      gate.allowed = TOTAL;
      const result = await handle.done;
      assert.equal(storage.injected.corrupt, 1);
      assert.equal(result.status, 'finished');
      assert.equal(restarts.length, 1);
      assert.equal(restarts[0]!.fellBackFrom, undefined, 'no checkpoint was passed over');
      assert.ok(restarts[0]!.restoredCheckpointId! > latest, `restored the latest checkpoint (${restarts[0]!.restoredCheckpointId})`);
      await checkExactlyOnce(read(storage), name, TOTAL, KEYS);
    } finally {
      await handle.cancel();
    }
  });

  it('a chunk replaced by another valid chunk (its own checksum intact) is caught by the checksum in its handle: the job falls back, every record once', async () => {
    const storage = new MemoryCheckpointStorage();
    const name = 'fallback-handle-checksum';
    const gate: Gate = { allowed: 2_000 };
    const handle = await run(job(name, (env) => buildGatedPipeline(env, TOTAL, KEYS, gate)), {
      storage, checkpointing: { intervalMs: 3_600_000, retained: 2 }, restart: { strategy: 'fixed-delay', attempts: 5, delayMs: 0 },
    });
    const restarts: RestartEvent[] = [];
    const restores: RestoreEvent[] = [];
    handle.on('restart', (r) => restarts.push(r));
    handle.on('restore', (r) => restores.push(r));
    try {
      const older = await commitUntil(handle, storage, name, 2_000);
      gate.allowed = 4_000;
      const latest = await commitUntil(handle, storage, name, 4_000);
      assert.ok(latest > older);
      // The source's positions at `latest` swapped for those at `older`: a well-formed chunk, the wrong one.
      const pad = (id: number) => `/${String(id).padStart(12, '0')}/`;
      const chunks = await storage.listChunks(`jobs/${name}/chunks/`);
      const sourceChunk = (id: number) => chunks.find((k) => k.includes(pad(id)) && k.includes('/numbers/') && k.endsWith('/operator'))!;
      assert.ok(sourceChunk(older) !== undefined && sourceChunk(latest) !== undefined);
      await storage.putChunk(sourceChunk(latest), (await storage.getChunk(sourceChunk(older)))!);
      gate.allowed = TOTAL;
      handle.injectFailure();
      const result = await handle.done;
      assert.equal(result.status, 'finished');
      assert.ok(restarts.some((r) => r.fellBackFrom === latest), `fell back from ${latest}: ${JSON.stringify(restarts.map((r) => [r.restoredCheckpointId, r.fellBackFrom]))}`);
      assert.ok(restores.some((r) => r.skipped.some((s) => s.checkpointId === latest && /checksum/i.test(s.reason))), 'a restore names the checkpoint and the checksum');
      await checkExactlyOnce(read(storage), name, TOTAL, KEYS);
    } finally {
      await handle.cancel();
    }
  });
});
