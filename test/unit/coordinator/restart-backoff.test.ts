import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { job, ManualClock, run, sources, type JobHandle, type Sink } from 'weir';

// Issue 10, item 9: the exponential-delay restart strategy resets its backoff after the job ran
// without a failure for a while, as Flink's does (reset-backoff-threshold, one hour by default).

const discard: Sink<number> = {
  kind: 'weir.sink', name: 'discard', guarantee: 'at-least-once',
  createWriter: () => ({ write() {}, prepareCommit: () => undefined }),
};

function nextRestart(handle: JobHandle): Promise<number> {
  return new Promise((resolve) => {
    const off = handle.on('restart', (e) => {
      off();
      resolve(e.delayMs);
    });
  });
}

function running(handle: JobHandle): Promise<void> {
  return new Promise((resolve) => {
    const off = handle.on('status', (s) => {
      if (s !== 'running') return;
      off();
      resolve();
    });
  });
}

describe('the exponential-delay restart strategy', () => {
  it('doubles its delay for failures in quick succession and starts again from initialDelayMs after an hour without a failure', async () => {
    const clock = new ManualClock(0);
    const handle = await run(job('backoff-reset', (env) => {
      env.fromSource(sources.sequence({ from: 0 })).sinkTo(discard);
    }), { clock, checkpointing: false, restart: { strategy: 'exponential-delay', initialDelayMs: 100, maxDelayMs: 100_000 } });
    const delays: number[] = [];
    const fail = async (thenAdvanceMs: number) => {
      const restart = nextRestart(handle);
      handle.injectFailure();
      const delay = await restart;
      delays.push(delay);
      const up = running(handle);
      clock.advance(delay);
      await up;
      clock.advance(thenAdvanceMs);
    };
    try {
      await fail(10);
      await fail(10);
      await fail(2 * 3_600_000); // then an hour and more without a failure
      await fail(10);
      assert.deepEqual(delays, [100, 200, 400, 100]);
    } finally {
      await handle.cancel();
    }
  });
});
