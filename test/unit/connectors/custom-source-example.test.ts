import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { job, MemoryCheckpointStorage, readTable, run, sinks } from 'weir';
import { paged } from '../../../examples/paged-source.js';
import { holdUntilCheckpoints } from '../../support/held-source.js';

// The README's custom source (examples/paged-source.ts), run as a user would, killed after awaited
// checkpoints: every record once.

describe('the README custom source example', () => {
  it('reads a paged collection exactly once across kills', async () => {
    const COUNT = 5000;
    const fetched: number[] = [];
    const fetchPage = async (from: number, size: number) => {
      fetched.push(from);
      await new Promise((resolve) => setImmediate(resolve)); // some I/O
      return Array.from({ length: size }, (_, i) => from + i);
    };
    const storage = new MemoryCheckpointStorage();
    const handle = await run(job('paged-example', (env) => {
      // Held after 1 500 records (15 pages fetched) per attempt until 2 checkpoints completed while it held:
      // each kill below (after 10, then 20 fetches) comes at one of them, mid-stream, at any speed.
      env.fromSource(holdUntilCheckpoints(paged(COUNT, 100, fetchPage), { after: 1_500, checkpoints: 2 }), { uid: 'pages' }).sinkTo(sinks.table('out'), { uid: 'out' });
    }), { storage, checkpointing: { intervalMs: 5 }, restart: { strategy: 'fixed-delay', attempts: 5, delayMs: 0 } });
    let kills = 0;
    handle.on('checkpoint', (c) => {
      if (c.status === 'completed' && !c.final && kills < 2 && fetched.length > 10 * (kills + 1) && handle.status() === 'running') {
        kills++;
        handle.injectFailure();
      }
    });
    const result = await handle.done;
    assert.equal(kills, 2);
    assert.equal(result.restarts, 2);
    assert.deepEqual(await readTable(handle.jobName, 'out', { storage }), Array.from({ length: COUNT }, (_, i) => i));
  });
});
