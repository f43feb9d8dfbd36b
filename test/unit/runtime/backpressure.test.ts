import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { job, ManualClock, run, sources, type Sink } from 'weir';

// Records in flight are counted exactly (one realm: the source's map and the sink see the same
// counters). How fast the job goes once the sink speeds up is a figure for bench/backpressure.bench.ts;
// here a clock that never moves shows that nothing on the way back from backpressure waits for time.

const RECORDS = 100_000;
const SLOW_RECORDS = 20_000;

function busyWait(micros: number) {
  const end = performance.now() + micros / 1000;
  while (performance.now() < end);
}

describe('backpressure (in-process)', () => {
  for (const { batchSize, credits, parallelism } of [
    { batchSize: 256, credits: 2, parallelism: 1 },
    { batchSize: 1024, credits: 4, parallelism: 2 },
  ]) {
    it(`a slow sink bounds the records in flight (batch ${batchSize}, ${credits} credits, parallelism ${parallelism}), and the job runs on when it speeds up, with no timer`, async () => {
      let emitted = 0;
      let received = 0;
      let maxInFlight = 0;
      let maxInFlightWhileSlow = 0;
      const slowSink: Sink<number> = {
        kind: 'weir.sink',
        name: 'slow',
        guarantee: 'at-least-once',
        createWriter: () => ({
          write() {
            received++;
            maxInFlight = Math.max(maxInFlight, emitted - received);
            if (received <= SLOW_RECORDS) {
              maxInFlightWhileSlow = maxInFlight;
              busyWait(20);
            }
          },
          prepareCommit: () => undefined,
          commit: async () => {},
        }),
      };
      const name = `backpressure-${batchSize}-${parallelism}`;
      // Never advanced: a credit, a flush or a resumed source that waited on a timer would hang the job.
      const clock = new ManualClock(0);
      const handle = await run(
        job(name, (env) => {
          env
            .fromSource(sources.sequence({ from: 0, to: RECORDS }))
            .map((n) => {
              emitted++;
              return n;
            })
            .keyBy((n) => n % 10)
            .sinkTo(slowSink);
        }),
        { parallelism, checkpointing: false, network: { batchSize, credits }, clock },
      );
      const result = await handle.done;
      assert.equal(result.status, 'finished');
      assert.equal(received, RECORDS);
      assert.equal(emitted, RECORDS);
      assert.equal(clock.now(), 0, 'the clock did not move');
      // Per channel: the batch being filled, `credits` batches queued, one overdraft batch, and the batch the sink is in.
      const channels = parallelism * parallelism;
      const bound = channels * (credits + 3) * batchSize;
      assert.ok(maxInFlight <= bound, `at most ${bound} records in flight, saw ${maxInFlight}`);
      // The source was held back while the sink was slow: it did not run ahead by more than the bound…
      assert.ok(maxInFlight < RECORDS / 4, 'the source did not run ahead of the sink');
      // …and backpressure, not a slow source, set the pace: more than a batch waited for the slow sink at some point.
      assert.ok(maxInFlightWhileSlow >= batchSize, `a full batch or more waited for the slow sink at some point, saw ${maxInFlightWhileSlow}`);
    });
  }
});
