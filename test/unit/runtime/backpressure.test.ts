import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { job, run, sources, type Sink } from 'weir';

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
    it(`a slow sink bounds the records in flight (batch ${batchSize}, ${credits} credits, parallelism ${parallelism}) and throughput returns when it speeds up`, async () => {
      let emitted = 0;
      let received = 0;
      let maxInFlight = 0;
      const times: number[] = [];
      const slowSink: Sink<number> = {
        kind: 'weir.sink',
        name: 'slow',
        guarantee: 'at-least-once',
        createWriter: () => ({
          write() {
            received++;
            maxInFlight = Math.max(maxInFlight, emitted - received);
            if (received <= SLOW_RECORDS) busyWait(20);
            if (received === SLOW_RECORDS || received === RECORDS) times.push(performance.now());
          },
          prepareCommit: () => undefined,
          commit: async () => {},
        }),
      };
      const name = `backpressure-${batchSize}-${parallelism}`;
      const started = performance.now();
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
        { parallelism, checkpointing: false, network: { batchSize, credits } },
      );
      await handle.done;
      assert.equal(received, RECORDS);
      // Per channel: the batch being filled, `credits` batches queued, one overdraft batch, and the batch the sink is in.
      const channels = parallelism * parallelism;
      const bound = channels * (credits + 3) * batchSize;
      assert.ok(maxInFlight <= bound, `at most ${bound} records in flight, saw ${maxInFlight}`);
      assert.ok(maxInFlight < RECORDS / 4, 'the source did not run ahead of the sink');
      const slowRate = SLOW_RECORDS / (times[0]! - started);
      const fastRate = (RECORDS - SLOW_RECORDS) / (times[1]! - times[0]!);
      assert.ok(fastRate > slowRate * 3, `throughput came back: ${Math.round(slowRate * 1000)} rec/s while slow, ${Math.round(fastRate * 1000)} rec/s after`);
    });
  }
});
