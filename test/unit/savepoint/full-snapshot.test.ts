import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { job, MemoryCheckpointStorage, run, sinks, sources } from 'weir';
import { decodeSavepoint } from '../../../src/runtime/coordinator/savepoint-codec.js';
import { holdUntilCheckpoints } from '../../support/held-source.js';

// A savepoint is always full (issue 14): after incremental checkpoints that reused unchanged spans
// and wrote deltas, its every chunk is written by the savepoint's own checkpoint, none a delta.

describe('a savepoint after incremental checkpoints', () => {
  it('holds only chunks its own checkpoint wrote, in full', async () => {
    const storage = new MemoryCheckpointStorage();
    // 2,000 keys over every key group; the readers hold after 3,000 records, so later checkpoints change nothing.
    const definition = job('sp-full', (env) => {
      env
        .fromSource(holdUntilCheckpoints(sources.sequence({ from: 0, to: 10_000 }), { after: 1_500, checkpoints: Infinity }), { uid: 'numbers' })
        .keyBy((n) => n % 2_000)
        .reduce((a, b) => a + b)
        .uid('sums')
        .sinkTo(sinks.table('sums'), { uid: 'sums-table' });
    });
    const handle = await run(definition, { storage, parallelism: 2, checkpointing: { intervalMs: 3_600_000 } });
    // Once the readers hold, nothing changes: a checkpoint then reuses every span of the one before.
    let last = await handle.triggerCheckpoint();
    for (let round = 0; last.persistedSize === last.stateSize && round < 50; round++) last = await handle.triggerCheckpoint();
    const reused = last.persistedSize < last.stateSize;
    const { metadata } = decodeSavepoint(await handle.stop({ savepoint: true }));
    assert.ok(reused, `checkpoint ${last.id} reused chunks (${last.persistedSize} of ${last.stateSize} bytes written)`);
    assert.ok(metadata.checkpointId > last.id);
    const handles = Object.values(metadata.operators).flatMap((o) => o.handles);
    assert.ok(handles.some((h) => h.kind === 'keyed' && h.part === 'state'), 'keyed spans are in it');
    for (const h of handles) {
      assert.ok(h.key.includes(`/chunks/${String(metadata.checkpointId).padStart(12, '0')}/`), `${h.key} was written by the savepoint's checkpoint`);
      assert.notEqual(h.part, 'delta', h.key);
    }
  });
});
