import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryCheckpointStorage, readTable, run, type RestartEvent } from 'weir';
import { checkExactlyOnce } from '../support/counting-pipeline.js';
import { FaultyStorage, gate as openLater, isTableCommitKey } from '../support/faulty-storage.js';

// The matrix kills in-process task sets; here a real worker_thread is killed while a sink's commit
// is on its way (held in the runner's storage, which the workers reach through comlink): the
// failover must not wait for that commit, and whether it lands late or is refused by the attempt
// fence, the output is exactly once.

const RECORDS = 20_000;
const KEYS = 13;

describe('a worker killed during a commit', () => {
  it('the failover does not wait for the killed attempt\'s commit; the output is exactly once', async () => {
    const storage = new FaultyStorage(new MemoryCheckpointStorage());
    const name = 'worker-killed-during-commit';
    const url = new URL('../node/jobs/counting.job.js', import.meta.url);
    for (const [k, v] of Object.entries({ name, records: RECORDS, keys: KEYS, rate: 20_000 })) url.searchParams.set(k, String(v));
    const reached = openLater();
    const release = openLater();
    storage.plan.hold = (op, keys) => {
      if (storage.injected.held > 0 || op !== 'putMetadata' || !keys.some(isTableCommitKey)) return undefined;
      reached.open();
      return release.promise;
    };
    const handle = await run(url, { storage, parallelism: 2, checkpointing: { intervalMs: 3_600_000 }, restart: { strategy: 'fixed-delay', attempts: 3, delayMs: 0 }, heartbeat: { intervalMs: 1000, timeoutMs: 60_000 } });
    try {
      const restarted = new Promise<RestartEvent>((resolve) => handle.on('restart', resolve));
      void (async () => {
        while (storage.injected.held === 0 && handle.status() === 'running') await handle.triggerCheckpoint().catch(() => undefined);
      })();
      await reached.promise;
      handle.injectFailure({ worker: 0 });
      const kills = 1;
      await restarted;
      release.open();
      const result = await handle.done;
      assert.equal(storage.injected.held, 1);
      assert.equal(result.restarts, kills);
      await checkExactlyOnce((j, t) => readTable(j, t, { storage: storage.inner }), name, RECORDS, KEYS);
    } finally {
      release.open();
      await handle.cancel();
    }
  });
});
