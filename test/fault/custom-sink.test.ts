import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { job, MemoryCheckpointStorage, run, type JobHandle, type RestartEvent, type Sink, type SinkRecoveryContext } from 'weir';
import { gatedSequence, type Gate } from '../support/gated-source.js';

// A sink of a user's own, written against the Sink V2 contract (src/connectors/sink.ts), gets
// the guarantees sinks.table gets on every recovery path: here its output goes to an "external"
// store (a Map), and a fallback takes back what it committed after the checkpoint restored.

const TOTAL = 4_000;

interface Batch {
  readonly checkpointId: number;
  readonly subtask: number;
  readonly rows: number[];
}

function externalSink(store: Map<string, number[]>, rollBacks: { checkpointId: number; fellBackFrom?: number }[]): Sink<number, Batch> {
  return {
    kind: 'weir.sink',
    name: 'external',
    guarantee: 'exactly-once',
    createWriter: (ctx) => {
      let rows: number[] = [];
      return {
        write: (n) => void rows.push(n),
        prepareCommit: (checkpointId) => {
          if (rows.length === 0) return undefined;
          const batch = { checkpointId, subtask: ctx.subtaskIndex, rows };
          rows = [];
          return batch;
        },
      };
    },
    // Idempotent: a batch is stored under its checkpoint and subtask.
    createCommitter: () => ({ commit: async (batches) => void batches.forEach((b) => store.set(`${b.checkpointId}/${b.subtask}`, b.rows)) }),
    rollBack: async (ctx: SinkRecoveryContext, checkpointId) => {
      rollBacks.push({ checkpointId, ...(ctx.fellBackFrom !== undefined ? { fellBackFrom: ctx.fellBackFrom } : {}) });
      for (const key of [...store.keys()]) if (Number(key.split('/')[0]) > checkpointId) store.delete(key);
    },
  };
}

async function commitUntil(handle: JobHandle, store: Map<string, number[]>, rows: number): Promise<number> {
  for (let round = 0; ; round++) {
    const { id } = await handle.triggerCheckpoint();
    if ([...store.values()].reduce((n, r) => n + r.length, 0) >= rows) return id;
    assert.ok(round < 1000);
  }
}

describe('a sink of the user\'s own (Sink V2)', () => {
  it('is rolled back through its contract when the job falls back: every record once in its store', async () => {
    const storage = new MemoryCheckpointStorage();
    const store = new Map<string, number[]>();
    const rollBacks: { checkpointId: number; fellBackFrom?: number }[] = [];
    const gate: Gate = { allowed: 1_000 };
    const name = 'custom-sink-fallback';
    const handle = await run(job(name, (env) => {
      env.fromSource(gatedSequence(TOTAL, gate), { uid: 'numbers' }).sinkTo(externalSink(store, rollBacks), { uid: 'external' });
    }), { storage, parallelism: 2, checkpointing: { intervalMs: 3_600_000, retained: 2 }, restart: { strategy: 'fixed-delay', attempts: 3, delayMs: 0 } });
    try {
      await commitUntil(handle, store, 1_000);
      gate.allowed = 2_000;
      const latest = await commitUntil(handle, store, 2_000);
      // The latest checkpoint loses a chunk; the job is killed and must fall back to the one before.
      const chunk = (await storage.listChunks(`jobs/${name}/chunks/${String(latest).padStart(12, '0')}/`)).find((k) => k.includes('/numbers/'))!;
      await storage.deleteChunks([chunk]);
      const restarted = new Promise<RestartEvent>((resolve) => handle.on('restart', (r) => r.fellBackFrom !== undefined && resolve(r)));
      gate.allowed = TOTAL;
      handle.injectFailure();
      const restart = await restarted;
      assert.equal(restart.fellBackFrom, latest);
      const restored = restart.restoredCheckpointId!;
      assert.ok(restored < latest);
      assert.equal((await handle.done).status, 'finished');
      assert.deepEqual(rollBacks.filter((r) => r.fellBackFrom !== undefined), [{ checkpointId: restored, fellBackFrom: latest }]);
      const all = [...store.values()].flat().sort((a, b) => a - b);
      assert.equal(all.length, TOTAL);
      all.forEach((n, i) => assert.equal(n, i));
    } finally {
      await handle.cancel();
    }
  });

  it('an exactly-once sink without a committer is refused when the graph is built, naming the sink', async () => {
    const sink = { kind: 'weir.sink', name: 'half-done', guarantee: 'exactly-once', createWriter: () => ({ write() {}, prepareCommit: () => undefined }) } as Sink<number>;
    await assert.rejects(run(job('custom-sink-refused', (env) => {
      env.fromSource(gatedSequence(1, { allowed: 1 })).sinkTo(sink);
    })), (error: { code?: string; message?: string }) => error.code === 'INVALID_ARGUMENT' && /half-done.*createCommitter/.test(error.message ?? ''));
  });
});
