import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { job, readTable, run } from 'weir';
import { checkExactlyOnce } from '../../support/counting-pipeline.js';
import { FaultLog, killMoments } from '../../support/fault-log.js';
import { seededRandom } from '../../support/seeded-random.js';
import { buildSlowCounting } from '../../support/slow-counting.js';

// Unaligned checkpoints (FLIP-76) under kills after awaited checkpoints, in-process: the records in
// flight that a checkpoint stored as channel state are replayed on restore, before new input, and
// the committed output is exactly the fault-free one. The keyed reduce is slow, so its input
// channels are full whenever a barrier comes: the checkpoints the kills follow hold channel state.

const RECORDS = 8_000; // × 3 counted
const KEYS = 31;

describe('unaligned checkpoints: exactly-once under faults (in-process)', () => {
  for (const { seed, alignedCheckpointTimeoutMs } of [
    { seed: 1, alignedCheckpointTimeoutMs: undefined },
    { seed: 2, alignedCheckpointTimeoutMs: undefined },
    { seed: 3, alignedCheckpointTimeoutMs: 0 },
  ]) {
    it(`seed ${seed}: kills after checkpoints that stored records in flight, each counted, commit the fault-free output`, async (t) => {
      const random = seededRandom(seed);
      const name = `unaligned-eo-${seed}`;
      const kills = killMoments(random, 3, 0.3);
      const handle = await run(job(name, (env) => buildSlowCounting(env, { records: RECORDS, keys: KEYS, busyUs: 3, hold: { after: 2_000, checkpoints: 3 } })), {
        parallelism: 2,
        checkpointing: { intervalMs: 10 + Math.floor(random() * 20), unaligned: true, ...(alignedCheckpointTimeoutMs !== undefined ? { alignedCheckpointTimeoutMs } : {}) },
        restart: { strategy: 'fixed-delay', attempts: 100, delayMs: 0 },
        network: { batchSize: 64, credits: 2 },
      });
      const log = new FaultLog(handle).killAt({ moments: kills });
      const result = await handle.done;
      log.stop();
      assert.equal(result.status, 'finished');
      const stats = handle.checkpoints();
      t.diagnostic(`faults ${JSON.stringify(log.faults)}; restored from ${JSON.stringify(log.restores)}; channel state ${JSON.stringify(stats.filter((c) => c.status === 'completed').map((c) => [c.id, c.channelStateRecords]))}`);
      assert.equal(log.mismatch(), undefined);
      assert.equal(log.kills.length, kills.length, `every planned kill landed: ${JSON.stringify(log.faults)}`);
      assert.equal(result.restarts, kills.length, 'each kill restarted the job, and nothing else did');
      const inFlight = new Set(stats.filter((c) => c.status === 'completed' && c.unaligned && c.channelStateRecords > 0).map((c) => c.id));
      assert.ok(log.restores.some((id) => id !== undefined && inFlight.has(id)), 'a restore replayed channel state');
      await checkExactlyOnce(readTable, name, 3 * RECORDS, KEYS);
    });
  }
});
