import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { job, MemoryCheckpointStorage, readTable, run, type CheckpointStorage, type JobHandle, type RestoreEvent } from 'weir';
import { checkExactlyOnce } from '../support/counting-pipeline.js';
import { buildGatedPipeline, type Gate } from '../support/gated-source.js';

// Issue 10, item 1: a start that passes over an unreadable latest checkpoint and restores the one
// before it must take back the output committed after that one — at any parallelism.

const TOTAL = 8_000;
const KEYS = 13;

/** Triggers checkpoints until `table` holds `rows` committed rows (a triggered checkpoint resolves once its sinks committed). */
async function commitUntil(handle: JobHandle, storage: CheckpointStorage, name: string, table: string, rows: number): Promise<number> {
  for (let round = 0; ; round++) {
    const stats = await handle.triggerCheckpoint();
    if ((await readTable(name, table, { storage })).length >= rows) return stats.id;
    assert.ok(round < 1000, `${table} never reached ${rows} rows`);
  }
}

async function flipLatestMetadataByte(storage: CheckpointStorage, name: string): Promise<number> {
  const keys = await storage.listMetadata(`jobs/${name}/checkpoints/`);
  const latest = keys[keys.length - 1]!;
  const bytes = (await storage.getMetadata(latest))!;
  bytes[bytes.length - 3] ^= 0x5a;
  await storage.putMetadata([{ key: latest, bytes }]);
  return Number(latest.slice(latest.lastIndexOf('/') + 1));
}

describe('a start that falls back from an unreadable latest checkpoint', () => {
  for (const [from, to] of [[4, 2], [2, 4], [3, 3]] as const) {
    it(`takes back what the passed-over checkpoint committed: parallelism ${from} → ${to}, every record once`, async () => {
      const storage = new MemoryCheckpointStorage();
      const name = `start-fallback-${from}-${to}`;
      const gate: Gate = { allowed: 0 };
      const build = () => job(name, (env) => buildGatedPipeline(env, TOTAL, KEYS, gate));
      const first = await run(build(), { storage, parallelism: from, checkpointing: { intervalMs: 3_600_000, retained: 2 } });
      gate.allowed = 2_000;
      await commitUntil(first, storage, name, 'seen', 2_000);
      gate.allowed = 5_000;
      const latest = await commitUntil(first, storage, name, 'seen', 5_000);
      await first.cancel();

      assert.equal(await flipLatestMetadataByte(storage, name), latest);
      const restores: RestoreEvent[] = [];
      gate.allowed = TOTAL;
      const second = await run(build(), { storage, parallelism: to, checkpointing: { intervalMs: 3_600_000, retained: 2 } });
      second.on('restore', (r) => restores.push(r));
      const result = await second.done;
      assert.equal(result.status, 'finished');
      assert.equal(restores.length, 1);
      assert.ok(restores[0]!.checkpointId !== undefined && restores[0]!.checkpointId < latest, `restored an older checkpoint than ${latest}: ${restores[0]!.checkpointId}`);
      assert.deepEqual(restores[0]!.skipped.map((s) => s.checkpointId), [latest]);
      await checkExactlyOnce((job, table) => readTable(job, table, { storage }), name, TOTAL, KEYS);
    });
  }
});
