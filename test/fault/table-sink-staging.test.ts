import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { job, MemoryCheckpointStorage, readTable, run, sinks, sources } from 'weir';
import { buildGatedPipeline, type Gate } from '../support/gated-source.js';

// Issue 10, item 10: an exactly-once sink commits only at checkpoints, so an unbounded job without
// a checkpoint interval must be told it will commit nothing until one is triggered; and the rows a
// table stages are written once (not in the checkpoint and again in the table).

describe('the table sink and its staged rows', () => {
  it('an unbounded job with an exactly-once sink and no checkpoint interval gets a warning naming the sink', async () => {
    const name = 'staging-unbounded-warning';
    const handle = await run(job(name, (env) => {
      env.fromSource(sources.sequence({ from: 0, ratePerSecond: 1000 })).sinkTo(sinks.table('out'), { uid: 'out' });
    }), { checkpointing: false });
    try {
      const warning = await new Promise<{ kind: string; message: string }>((resolve) => {
        const off = handle.on('warning', (w) => {
          off();
          resolve(w);
        });
      });
      assert.equal(warning.kind, 'no-periodic-checkpoints');
      assert.match(warning.message, /table\(out\)/);
    } finally {
      await handle.cancel();
    }
  });

  it('a checkpoint stores a reference to the staged rows, not the rows: the rows are written once', async () => {
    const storage = new MemoryCheckpointStorage();
    const name = 'staging-written-once';
    const gate: Gate = { allowed: 5_000 };
    const handle = await run(job(name, (env) => buildGatedPipeline(env, 10_000, 7, gate)), { storage, checkpointing: { intervalMs: 3_600_000 } });
    try {
      let id = 0;
      while ((await readTable(name, 'seen', { storage })).length < 5_000) id = (await handle.triggerCheckpoint()).id;
      const pad = `/${String(id).padStart(12, '0')}/`;
      const sinkState = (await storage.listChunks(`jobs/${name}/chunks/`)).filter((k) => k.includes(pad) && k.includes('/seen/'));
      assert.equal(sinkState.length, 1);
      const bytes = (await storage.getChunk(sinkState[0]!))!.byteLength;
      assert.ok(bytes < 1024, `the sink's state in checkpoint ${id} is ${bytes} bytes: a reference, not its 5,000 rows`);
    } finally {
      await handle.cancel();
    }
  });
});
