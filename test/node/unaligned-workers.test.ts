import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readTable, run } from 'weir';
import { checkExactlyOnce } from '../support/counting-pipeline.js';
import { alternatingKillMoments, FaultLog } from '../support/fault-log.js';
import { seededRandom } from '../support/seeded-random.js';

// Unaligned checkpoints in worker_threads: a checkpoint's channel state includes the batches in
// flight between workers (posted, not yet taken by the receiving task). Workers killed after awaited
// checkpoints; the committed output is exactly the fault-free one.

const RECORDS = 10_000; // × 3 counted
const KEYS = 31;

function slowCountingJob(name: string, params: Record<string, string | number>): URL {
  const url = new URL('./jobs/slow-counting.job.js', import.meta.url);
  for (const [k, v] of Object.entries({ name, records: RECORDS, keys: KEYS, ...params })) url.searchParams.set(k, String(v));
  return url;
}

describe('unaligned checkpoints in worker_threads', () => {
  it('workers killed after unaligned checkpoints that stored batches in flight, each kill counted, commit the fault-free output', async (t) => {
    const random = seededRandom(7);
    const name = 'unaligned-workers-kill';
    const parallelism = 2;
    const handle = await run(slowCountingJob(name, { busyUs: 3, holdAfter: 2_000, holdCheckpoints: 2 }), {
      parallelism,
      checkpointing: { intervalMs: 30, unaligned: true },
      restart: { strategy: 'fixed-delay', attempts: 100, delayMs: 0 },
      network: { batchSize: 64, credits: 2 },
      heartbeat: { intervalMs: 1000, timeoutMs: 60_000 },
    });
    const log = new FaultLog(handle).killAt({ moments: alternatingKillMoments(4), worker: () => Math.floor(random() * parallelism) });
    const result = await handle.done;
    log.stop();
    assert.equal(result.status, 'finished');
    const stats = handle.checkpoints();
    t.diagnostic(`faults ${JSON.stringify(log.faults)}; restored from ${JSON.stringify(log.restores)}; channel state ${JSON.stringify(stats.filter((c) => c.status === 'completed').map((c) => [c.id, c.channelStateRecords]))}`);
    assert.equal(log.mismatch(), undefined);
    assert.equal(log.kills.length, 4, `four workers were killed: ${JSON.stringify(log.faults)}`);
    assert.equal(result.restarts, 4, 'each kill restarted the job, and nothing else did');
    const inFlight = new Set(stats.filter((c) => c.status === 'completed' && c.unaligned && c.channelStateRecords > 0).map((c) => c.id));
    assert.ok(log.restores.some((id) => id !== undefined && inFlight.has(id)), 'a restore replayed channel state');
    await checkExactlyOnce(readTable, name, 3 * RECORDS, KEYS);
  });
});
