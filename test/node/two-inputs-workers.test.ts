import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readTable, run } from 'weir';
import { alternatingKillMoments, FaultLog } from '../support/fault-log.js';
import { twoInputExpected, urlOf, type TwoInputParams } from '../support/two-input-job-module.js';

// Two-input jobs in worker_threads: both inputs cross MessagePorts into the connected operator,
// barriers align over both, and a worker killed after a checkpoint restores keyed and broadcast state.

const jobUrl = new URL('./jobs/two-input.job.js', import.meta.url);
const sorted = (rows: readonly unknown[]) => rows.map((r) => JSON.stringify(r)).sort();

describe('two inputs in worker_threads', () => {
  for (const kind of ['balances', 'rules'] as const) {
    it(`${kind}: two workers killed after checkpoints or while replaying, each kill counted, commit exactly the reference's output`, async (t) => {
      const p: TwoInputParams = { name: `workers-two-inputs-${kind}`, kind, seed: 5, events: 1000, keys: 31, holdAfter: 100, holdCheckpoints: 2 };
      const handle = await run(urlOf(jobUrl, p), {
        parallelism: 2,
        checkpointing: { intervalMs: 30 },
        restart: { strategy: 'fixed-delay', attempts: 100, delayMs: 0 },
        heartbeat: { intervalMs: 1000, timeoutMs: 60_000 }, // no WORKER_LOST for a deploy slowed by load: the restarts are the kills'
      });
      let worker = 0;
      const log = new FaultLog(handle).killAt({ moments: alternatingKillMoments(2), worker: () => worker++ % 2 });
      const result = await handle.done;
      log.stop();
      t.diagnostic(`faults ${JSON.stringify(log.faults)}; restored from ${JSON.stringify(log.restores)}`);
      assert.equal(result.status, 'finished');
      assert.equal(log.kills.length, 2, 'both kills landed before the input ended');
      assert.equal(log.mismatch(), undefined);
      assert.equal(result.restarts, 2, 'each kill restarted the job, and nothing else did');
      const expected = twoInputExpected(p);
      assert.deepEqual(sorted(await readTable(p.name, expected.table)), sorted(expected.rows));
    });
  }
});
