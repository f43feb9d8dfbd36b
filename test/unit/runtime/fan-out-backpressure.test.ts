import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { job, MemoryCheckpointStorage, readTable, run, sinks, sources, type Sink } from 'weir';
import { holdUntilCheckpoints } from '../../support/held-source.js';

// Issue 10, item 3: a task must stop emitting when an output has no credit, also in the middle
// of one input record's output, so that the records in flight stay within the documented bound
// of (credits + 3) × batch size per channel. A flatMap that emits 10,000 records per input.

const INPUTS = 24;
const FAN_OUT = 10_000;

interface Counter {
  received: number;
  maxInFlight: number;
  emitted: number;
  /** Calls of the flatMap's function, and how far the records they return ran ahead of the sink at most. */
  calls: number;
  maxAhead: number;
}

function countingSink(counter: Counter): Sink<number> {
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
    }),
  };
}

describe('backpressure under fan-out (in-process)', () => {
  for (const style of ['generator', 'array'] as const) {
    for (const { batchSize, credits, parallelism, chained } of [
      { batchSize: 256, credits: 2, parallelism: 2, chained: true },
      { batchSize: 1024, credits: 4, parallelism: 1, chained: true },
      { batchSize: 128, credits: 1, parallelism: 2, chained: false },
    ]) {
      const where = chained ? 'chained to the source' : 'behind a rebalance';
      it(`a flatMap returning ${FAN_OUT} records per input (${style}, ${where}) stops at a channel without credit: in flight ≤ channels × (credits + 3) × batch (batch ${batchSize}, ${credits} credits, parallelism ${parallelism})`, async (t) => {
        const counter: Counter = { received: 0, maxInFlight: 0, emitted: 0, calls: 0, maxAhead: 0 };
        const name = `fan-out-${style}-${batchSize}-${parallelism}-${where.replaceAll(' ', '-')}`;
        const handle = await run(
          job(name, (env) => {
            const numbers = env.fromSource(sources.sequence({ from: 0, to: INPUTS }));
            (chained ? numbers : numbers.rebalance())
              .flatMap((n: number) => {
                counter.calls++;
                counter.maxAhead = Math.max(counter.maxAhead, counter.calls * FAN_OUT - counter.received);
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
        t.diagnostic(`at most ${counter.maxInFlight} records in flight (bound ${bound})`);
        assert.ok(counter.maxInFlight <= bound, `at most ${bound} records in flight, saw ${counter.maxInFlight}`);
        // The function runs for the next input only once there is room: what it returns (an array
        // is all in memory) stays within the bound plus one input's output per subtask.
        assert.equal(counter.calls, INPUTS);
        const ahead = bound + parallelism * FAN_OUT;
        assert.ok(counter.maxAhead <= ahead, `the function's output at most ${ahead} records ahead of the sink, saw ${counter.maxAhead}`);
      });
    }
  }

  it('a checkpoint never cuts one input record\'s output: with checkpoints and a kill while the flatMap is held back, every output record is committed once', async () => {
    const storage = new MemoryCheckpointStorage();
    const name = 'fan-out-exactly-once';
    const inputs = 40;
    const fanOut = 500;
    const handle = await run(job(name, (env) => {
      env
        // Each reader holds after 5 inputs until 2 checkpoints completed while it held: the kill at checkpoint 3 comes mid-stream at any speed.
        .fromSource(holdUntilCheckpoints(sources.sequence({ from: 0, to: inputs, ratePerSecond: 400 }), { after: 5, checkpoints: 2 }), { uid: 'inputs' })
        .rebalance()
        .flatMap(function* (n: number) {
          for (let i = 0; i < fanOut; i++) yield n * fanOut + i;
        })
        .uid('fan-out')
        .keyBy((n) => n % 5)
        .sinkTo(sinks.table('out'), { uid: 'out' });
    }), { storage, parallelism: 2, checkpointing: { intervalMs: 5 }, network: { batchSize: 64, credits: 1 }, restart: { strategy: 'fixed-delay', attempts: 3, delayMs: 0 } });
    let kills = 0;
    handle.on('checkpoint', (c) => {
      if (kills === 0 && c.status === 'completed' && !c.final && c.id >= 3) {
        kills++;
        handle.injectFailure();
      }
    });
    const result = await handle.done;
    assert.equal(kills, 1);
    assert.equal(result.restarts, 1);
    const out = (await readTable<number>(name, 'out', { storage })).sort((a, b) => a - b);
    assert.equal(out.length, inputs * fanOut);
    out.forEach((n, i) => assert.equal(n, i));
  });
});
