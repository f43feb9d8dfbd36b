import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { job, MemoryCheckpointStorage, readSavepoint, readTable, run, sinks, sources, WatermarkStrategy, type CheckpointStorage, type JobDefinition } from 'weir';
import { buildCheckpointExample } from '../../../examples/checkpoint-example.job.js';
import { exampleLines, type WindowSum } from '../../../examples/checkpoint-example.lines.js';
import { holdUntilCheckpoints } from '../../support/held-source.js';
import { assertExactWindowSums } from '../../support/seed-example-check.js';

// Issue 14: keyed state, timers, windows and source splits move through a savepoint to a smaller
// and a larger parallelism, and the job ends with the fault-free result. The first run's readers
// hold after a fixed number of records (held-source.ts), so the savepoint is taken mid-stream
// with windows open and timers pending, however fast the machine.

const LINES = 6_000;
const TOTAL = 3_000;
const KEYS = 13;

const seedJob = (name: string, held: boolean): JobDefinition => job(name, (env) => {
  const lines = sources.fromElements(exampleLines({ lines: LINES }));
  buildCheckpointExample(env, held ? holdUntilCheckpoints(lines, { after: LINES / 8, checkpoints: Infinity }) : lines);
});

/** Per key: a running sum in ValueState, and one event-time timer at the end that emits it. */
const timerJob = (name: string, held: boolean): JobDefinition => job(name, (env) => {
  const numbers = sources.sequence({ from: 0, to: TOTAL });
  env
    .fromSource(held ? holdUntilCheckpoints(numbers, { after: TOTAL / 6, checkpoints: Infinity }) : numbers, {
      uid: 'numbers', watermarks: WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner((n) => n),
    })
    .keyBy((n) => n % KEYS)
    .process<{ key: number; sum: number }>({
      processElement(n, ctx) {
        const sum = ctx.getState<number>('sum');
        sum.update((sum.value() ?? 0) + n);
        ctx.timerService.registerEventTimeTimer(TOTAL + 1_000);
      },
      onTimer(_t, ctx, out) {
        out.collect({ key: ctx.getCurrentKey(), sum: ctx.getState<number>('sum').value()! });
      },
    })
    .uid('sums')
    .sinkTo(sinks.table('sums'), { uid: 'sums-table' });
});

async function stopMidStream(build: JobDefinition, storage: CheckpointStorage, parallelism: number): Promise<Uint8Array> {
  const handle = await run(build, { storage, parallelism, checkpointing: { intervalMs: 3_600_000 } });
  await handle.triggerCheckpoint();
  return handle.stop({ savepoint: true });
}

describe('rescale through a savepoint', () => {
  it('the seed example (event-time windows, dead letters) resumes at 2 and at 5 from a savepoint taken at 3', async () => {
    const name = 'sp-seed';
    const first = new MemoryCheckpointStorage();
    const bytes = await stopMidStream(seedJob(name, true), first, 3);
    const contents = readSavepoint(bytes);
    const windows = contents.operators.find((o) => o.uid === 'window-sum')!;
    assert.equal(windows.parallelism, 3);
    assert.ok(windows.keyedState.size > 0, 'open windows are keyed state');
    assert.ok(Number.isFinite(windows.watermark), 'the window operator has a watermark');
    assert.equal(contents.operators.find((o) => o.uid === 'lines')!.sourceSplits!.length > 0, true);
    const before = async <T>(table: string) => readTable<T>(name, table, { storage: first });
    for (const parallelism of [2, 5]) {
      const second = new MemoryCheckpointStorage();
      await (await run(seedJob(name, false), { storage: second, parallelism, resume: { savepoint: bytes } })).done;
      const rows = [...(await before<WindowSum>('window-sums')), ...(await readTable<WindowSum>(name, 'window-sums', { storage: second }))];
      const dead = [...(await before<{ value: string; error: string }>('dead-letters')), ...(await readTable<{ value: string; error: string }>(name, 'dead-letters', { storage: second }))];
      assertExactWindowSums(rows, LINES, dead);
    }
  });

  it('keyed state and event-time timers resume at 1 and at 4 from a savepoint taken at 2: each key fires once with its exact sum', async () => {
    const name = 'sp-timers';
    const bytes = await stopMidStream(timerJob(name, true), new MemoryCheckpointStorage(), 2);
    const sums = readSavepoint(bytes).operators.find((o) => o.uid === 'sums')!;
    assert.equal(sums.stateKinds.sum, 'value');
    assert.equal(sums.timers.eventTime.length, sums.keyedState.size, 'one pending timer per key seen');
    assert.ok(sums.keyedState.size > 0);
    for (const [key, states] of sums.keyedState) assert.equal(typeof states.sum, 'number', `key ${String(key)}`);
    for (const parallelism of [1, 4]) {
      const storage = new MemoryCheckpointStorage();
      await (await run(timerJob(name, false), { storage, parallelism, resume: { savepoint: bytes } })).done;
      const rows = await readTable<{ key: number; sum: number }>(name, 'sums', { storage });
      const expected = new Map<number, number>();
      for (let n = 0; n < TOTAL; n++) expected.set(n % KEYS, (expected.get(n % KEYS) ?? 0) + n);
      assert.deepEqual(new Map(rows.map((r) => [r.key, r.sum])), expected);
      assert.equal(rows.length, KEYS, 'each timer fired once');
    }
  });
});
