import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { job, ManualClock, readTable, run, sources } from 'weir';
import { checkExactlyOnce, countInto } from '../../support/counting-pipeline.js';
import { FaultLog } from '../../support/fault-log.js';
import { waitUntil } from '../api/api-test-helpers.js';

// An unaligned barrier overtakes the records queued in memory channels (in-process, one thread):
// a slow map (it moves the stopped clock 1 ms a record, so the clock counts the records it took)
// behind full channels. The barrier must reach it between two records of a batch, not after the
// batch (BATCH ms) or the thread's turn (several batches), and the checkpoint completes before the
// slow map took a batch's worth of records. The records it overtook — the rest
// of that batch and the batches queued ahead of it — are channel state. A kill right after that
// checkpoint, then a restore from it, replays them: the committed output is exactly once.

const BATCH = 64;
const CREDITS = 4;
const RECORDS = 4_000;
const KEYS = 7;

describe('unaligned barriers in memory channels', () => {
  it('overtake the queued records within a batch, store them as channel state, and a restore replays them exactly once', async () => {
    const clock = new ManualClock(0);
    let taken = 0;
    const name = 'unaligned-overtaking';
    const handle = await run(
      job(name, (env) => {
        const slowed = env
          .fromSource(sources.sequence({ from: 0, to: RECORDS }), { uid: 'numbers' })
          .rebalance()
          .map((n: number) => {
            taken++;
            clock.advance(1);
            return n;
          })
          .uid('slow');
        countInto(slowed, KEYS);
      }),
      {
        parallelism: 1, clock, storage: 'memory', resume: 'none',
        checkpointing: { intervalMs: 1e12, timeoutMs: 1e12, unaligned: true },
        restart: { strategy: 'fixed-delay', attempts: 3, delayMs: 0 },
        network: { batchSize: BATCH, credits: CREDITS },
      },
    );
    const log = new FaultLog(handle);
    await waitUntil(() => taken >= 4 * CREDITS * BATCH, 'the channels filled');
    const stats = await handle.triggerCheckpoint();
    assert.equal(stats.unaligned, true);
    assert.ok(stats.channelStateRecords > BATCH, `the barrier overtook queued records (${stats.channelStateRecords} stored)`);
    // The clock moved 1 ms per record the slow task took: it completed before a batch's worth.
    assert.ok(stats.durationMs! < BATCH, `the checkpoint took ${stats.durationMs} ms (records): the barrier waited for no whole batch`);
    assert.ok(taken < RECORDS - stats.channelStateRecords, 'records were still to come after the stored ones');

    const restoresBefore = log.restores.length;
    log.faults.push({ code: 'INJECTED_FAILURE', attempt: log.attempt(), afterCheckpoint: stats.id });
    handle.injectFailure();
    // The restart's delay (0 ms) is a timer of the stopped clock: due now, run when the clock is moved (by 0).
    await waitUntil(() => {
      clock.advance(0);
      return log.restores.length > restoresBefore;
    }, 'the job restored');
    const result = await handle.done;
    log.stop();
    assert.equal(result.status, 'finished');
    assert.equal(log.mismatch(), undefined);
    assert.equal(result.restarts, 1, 'the kill restarted the job, and nothing else did');
    assert.deepEqual(log.restores.slice(restoresBefore), [stats.id], 'the restore started from the checkpoint with channel state');
    await checkExactlyOnce((jobName, table) => readTable(jobName, table, { storage: 'memory' }), name, RECORDS, KEYS);
  });
});
