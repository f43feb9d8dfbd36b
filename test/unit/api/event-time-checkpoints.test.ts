import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { job, readTable, run, sinks, sources, watchTable, WatermarkStrategy } from 'weir';

// checkpointing: { eventTimeIntervalMs }: a checkpoint each time the sources' combined watermark
// crosses a multiple of the interval. Each source stops where its watermark reaches a new multiple
// until the checkpoint there is triggered, so two runs of the same input take their checkpoints at
// the same event-time positions whatever the timing. (The watermark follows the input: the
// periodic generator is asked after every poll, setAutoWatermarkInterval(0).)

const RECORDS = 20_000;

async function runOnce(name: string, parallelism: number): Promise<{ positions: number[]; rows: number; committed: number[] }> {
  // What each checkpoint committed: the records before its cut, the same in both runs only if the cuts are.
  const committed = new Map<number, number>();
  const stop = watchTable<number>(name, 'out', (u) => committed.set(u.checkpointId, u.rows.length));
  const handle = await run(
    job(name, (env) => {
      env.setAutoWatermarkInterval(0);
      env
        .fromSource(sources.sequence({ from: 0, to: RECORDS }), { uid: 'numbers', watermarks: WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner((n) => n) })
        .map((n) => n * 2)
        .uid('double')
        .sinkTo(sinks.table('out'), { uid: 'out' });
    }),
    { parallelism, checkpointing: { eventTimeIntervalMs: 1000 }, network: { batchSize: 256 } },
  );
  const result = await handle.done;
  stop();
  assert.equal(result.status, 'finished');
  const completed = handle.checkpoints().filter((c) => c.status === 'completed' && !c.final);
  for (const c of completed) assert.notEqual(c.eventTimePosition, undefined, `checkpoint ${c.id} was taken at an event-time position`);
  return {
    positions: completed.map((c) => c.eventTimePosition!), rows: (await readTable(name, 'out')).length,
    committed: completed.map((c) => committed.get(c.id) ?? -1).filter((n) => n >= 0),
  };
}

describe('event-time checkpoints (eventTimeIntervalMs)', () => {
  for (const parallelism of [1, 2]) {
    it(`two runs of the same input take their checkpoints at the same event-time positions (parallelism ${parallelism})`, async () => {
      const first = await runOnce(`event-time-ckpt-a-${parallelism}`, parallelism);
      const second = await runOnce(`event-time-ckpt-b-${parallelism}`, parallelism);
      assert.ok(first.positions.length >= 5, `several checkpoints were taken: ${JSON.stringify(first.positions)}`);
      for (let i = 0; i < first.positions.length; i++) {
        assert.equal(first.positions[i]! % 1000, 0, 'each at a multiple of the interval');
        if (i > 0) assert.ok(first.positions[i]! > first.positions[i - 1]!, 'each past the one before');
      }
      assert.deepEqual(second.positions, first.positions);
      assert.ok(first.committed.length >= 3, `commits were seen: ${JSON.stringify(first.committed)}`);
      assert.deepEqual(second.committed, first.committed, 'each checkpoint cut the input at the same record');
      assert.equal(first.rows, RECORDS);
      assert.equal(second.rows, RECORDS);
    });
  }
});
