import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { job, run, sources, type Sink } from 'weir';

// Issue 10, item 3: a task must stop emitting when an output has no credit, also in the middle
// of one input record's output, so that the records in flight stay within the documented bound
// of (credits + 3) × batch size per channel. A flatMap that emits 10,000 records per input.

const INPUTS = 24;
const FAN_OUT = 10_000;

function countingSink(counter: { received: number; maxInFlight: number; emitted: number }): Sink<number> {
  return {
    kind: 'weir.sink',
    name: 'counting',
    guarantee: 'at-least-once',
    createWriter: () => ({
      write() {
        counter.received++;
        counter.maxInFlight = Math.max(counter.maxInFlight, counter.emitted - counter.received);
      },
      prepareCommit: () => undefined,
      // The sink contract of the code before issue 10 asked for this; the current one ignores it.
      commit: async () => {},
    }),
  } as Sink<number>;
}

describe('backpressure under fan-out (in-process)', () => {
  for (const style of ['generator', 'array'] as const) {
    for (const { batchSize, credits, parallelism } of [
      { batchSize: 256, credits: 2, parallelism: 2 },
      { batchSize: 1024, credits: 4, parallelism: 1 },
    ]) {
      it(`a flatMap returning ${FAN_OUT} records per input (${style}) stops at a channel without credit: in flight ≤ channels × (credits + 3) × batch (batch ${batchSize}, ${credits} credits, parallelism ${parallelism})`, async () => {
        const counter = { received: 0, maxInFlight: 0, emitted: 0 };
        const name = `fan-out-${style}-${batchSize}-${parallelism}`;
        const handle = await run(
          job(name, (env) => {
            env
              .fromSource(sources.sequence({ from: 0, to: INPUTS }))
              .flatMap((n: number) => {
                if (style === 'array') return Array.from({ length: FAN_OUT }, (_, i) => n * FAN_OUT + i);
                return (function* () {
                  for (let i = 0; i < FAN_OUT; i++) yield n * FAN_OUT + i;
                })();
              })
              .map((n) => {
                counter.emitted++;
                return n;
              })
              .keyBy((n) => n % 7)
              .sinkTo(countingSink(counter));
          }),
          { parallelism, checkpointing: false, network: { batchSize, credits } },
        );
        await handle.done;
        assert.equal(counter.received, INPUTS * FAN_OUT);
        assert.equal(counter.emitted, INPUTS * FAN_OUT);
        const channels = parallelism * parallelism;
        const bound = channels * (credits + 3) * batchSize;
        assert.ok(counter.maxInFlight <= bound, `at most ${bound} records in flight, saw ${counter.maxInFlight}`);
      });
    }
  }
});
