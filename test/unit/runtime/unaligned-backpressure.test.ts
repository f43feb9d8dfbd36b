import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { job, ManualClock, run, sources, type CheckpointStats, type Sink } from 'weir';
import { waitUntil } from '../api/api-test-helpers.js';

// A slow sink behind full buffers: an aligned checkpoint's barrier queues behind every record in
// them, an unaligned one overtakes them. No wall-clock time: the clock stands still and the sink
// moves it, by the checkpoint timeout, once it has taken LIMIT records since the trigger — half of
// what the buffers hold (CREDITS batches), twice what an unaligned checkpoint lets through before
// it completes (the scheduler's slices: at most 64 steps, a batch each, before the acks' writes
// resolve). So the outcome is exact: aligned checkpoints time out, unaligned ones complete, and
// with alignedCheckpointTimeoutMs they start aligned and switch.

const BATCH = 64;
const CREDITS = 256;
const LIMIT = (CREDITS * BATCH) / 2;
const TIMEOUT_MS = 1000;

interface Outcome {
  readonly completed: CheckpointStats[];
  readonly failures: string[];
}

async function checkpointsUnderBackpressure(label: string, checkpointing: Record<string, unknown>, rounds: number, advanceAtLimit: number): Promise<Outcome> {
  const clock = new ManualClock(0);
  let taken = 0;
  let triggeredAt: number | undefined;
  const sink: Sink<number> = {
    kind: 'weir.sink',
    name: 'slow',
    guarantee: 'at-least-once',
    createWriter: () => ({
      write() {
        taken++;
        if (triggeredAt !== undefined && taken - triggeredAt === LIMIT) clock.advance(advanceAtLimit);
        if (triggeredAt !== undefined && taken - triggeredAt === 2 * LIMIT) clock.advance(TIMEOUT_MS);
      },
      prepareCommit: () => undefined,
      commit: async () => {},
    }),
  };
  const handle = await run(
    job(`unaligned-backpressure-${label}`, (env) => {
      env
        .fromSource(sources.sequence({ from: 0, to: 10_000_000 }), { uid: 'numbers' })
        .flatMap((n: number) => [n, n, n, n]) // four batches out for every one in: the sink's channel fills
        .keyBy((n) => n % 8)
        .sinkTo(sink, { uid: 'slow' });
    }),
    { parallelism: 1, checkpointing: { intervalMs: 1e12, timeoutMs: TIMEOUT_MS, ...checkpointing }, network: { batchSize: BATCH, credits: CREDITS }, clock, resume: 'none' },
  );
  const outcome: Outcome = { completed: [], failures: [] };
  try {
    await waitUntil(() => taken > 2 * CREDITS * BATCH, 'the buffers filled');
    for (let i = 0; i < rounds; i++) {
      triggeredAt = taken;
      try {
        outcome.completed.push(await handle.triggerCheckpoint());
      } catch (error) {
        outcome.failures.push((error as { code?: string }).code ?? String(error));
      }
      triggeredAt = undefined;
    }
  } finally {
    await handle.cancel();
  }
  return outcome;
}

describe('unaligned checkpoints under backpressure (a slow sink, full buffers)', () => {
  it('aligned checkpoints time out: their barriers wait behind the buffered records', async () => {
    const { completed, failures } = await checkpointsUnderBackpressure('aligned', {}, 3, TIMEOUT_MS);
    assert.deepEqual(failures, ['CHECKPOINT_TIMEOUT', 'CHECKPOINT_TIMEOUT', 'CHECKPOINT_TIMEOUT']);
    assert.equal(completed.length, 0);
  });

  it('unaligned checkpoints complete: the barrier overtakes the buffered records, which are stored as channel state', async () => {
    const { completed, failures } = await checkpointsUnderBackpressure('unaligned', { unaligned: true }, 3, TIMEOUT_MS);
    assert.deepEqual(failures, []);
    assert.equal(completed.length, 3);
    for (const c of completed) {
      assert.equal(c.status, 'completed');
      assert.equal(c.unaligned, true);
      assert.ok(c.channelStateRecords >= BATCH, `checkpoint ${c.id} stored the records in flight (${c.channelStateRecords})`);
      assert.ok(c.channelStateSize > 0);
    }
  });

  it('with alignedCheckpointTimeoutMs a checkpoint starts aligned and switches to unaligned once its alignment times out', async () => {
    const { completed, failures } = await checkpointsUnderBackpressure('alternating', { unaligned: true, alignedCheckpointTimeoutMs: 100 }, 2, 100);
    assert.deepEqual(failures, []);
    assert.deepEqual(completed.map((c) => c.unaligned), [true, true]);
    for (const c of completed) assert.ok(c.channelStateRecords > 0);
  });
});
