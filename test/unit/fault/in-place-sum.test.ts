import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { job, readTable, run, sinks, sources } from 'weir';
import { FaultLog, killMoments } from '../../support/fault-log.js';
import { holdUntilCheckpoints } from '../../support/held-source.js';
import { seededRandom } from '../../support/seeded-random.js';

// sum/min/max chained into a table keyed by a field update their accumulator in place and emit it
// (no record per update; operator-chain.ts, Sink.acceptsUpdatedInPlace). These check what that
// must never change: the sums under killed task sets (copy-on-write keeps pending snapshots as they
// were at the barrier), the input records (never changed), and every edge where the record could
// be held and seen changing (an append table, a table keyed by the summed field, two consumers).

const RECORDS = 100_000;
/** Few keys, and enough that a snapshot is encoded in several slices with records processed between them. */
const KEY_COUNTS = [89, 25_000, 25_000, 25_000, 25_000];

interface Row {
  key: number;
  tag: string;
  v: number;
}

/** Per key, the number of records and the sum of their n. */
function expectedSums(records: number, keys: number): Map<number, { n: number; sum: number }> {
  const expected = new Map<number, { n: number; sum: number }>();
  for (let i = 0; i < records; i++) {
    const e = expected.get(i % keys) ?? { n: 0, sum: 0 };
    e.n++;
    e.sum += i;
    expected.set(i % keys, e);
  }
  return expected;
}

function summingJob(name: string, keys: number) {
  return job(name, (env) => {
    env.fromSource(holdUntilCheckpoints(sources.sequence({ from: 0, to: RECORDS }), { after: 25_000, checkpoints: 3 }), { uid: 'numbers' })
      .map((n): Row => ({ key: n % keys, tag: `k${n % keys}`, v: n }))
      .keyBy((r) => r.key)
      .sum('v')
      .uid('sum')
      .sinkTo(sinks.table<Row>('sums', { key: 'key' }), { uid: 'sums' });
  });
}

function checkSums(rows: readonly Row[], records: number, keys: number): void {
  const expected = expectedSums(records, keys);
  assert.equal(rows.length, expected.size, 'one row per key');
  for (const r of rows) {
    assert.equal(r.tag, `k${r.key}`, 'the fields sum() does not change are the first record\'s');
    assert.equal(r.v, expected.get(r.key)!.sum, `key ${r.key}: the sum of its records, each once`);
  }
}

describe('sum updated in place into a keyed table', () => {
  for (let seed = 0; seed <= 4; seed++) {
    it(`seed ${seed}: ${KEY_COUNTS[seed]} keys, killed task sets, each kill counted, commit the exact sums`, async (t) => {
      const random = seededRandom(100 + seed);
      const name = `in-place-sum-${seed}`;
      const keys = KEY_COUNTS[seed]!;
      const handle = await run(summingJob(name, keys), {
        parallelism: 1 + (seed % 2),
        checkpointing: { intervalMs: 3 + Math.floor(random() * 15) },
        restart: { strategy: 'fixed-delay', attempts: 1000, delayMs: 0 },
      });
      const log = new FaultLog(handle).killAt({ moments: killMoments(random, 3) });
      const result = await handle.done;
      log.stop();
      t.diagnostic(`faults ${JSON.stringify(log.faults)}; restored from ${JSON.stringify(log.restores)}`);
      assert.equal(result.status, 'finished');
      assert.ok(log.kills.length >= 1, 'a task set was killed after an awaited checkpoint');
      assert.equal(log.mismatch(), undefined);
      assert.equal(result.restarts, log.restarts.length, 'every restart was a kill of this test');
      checkSums(await readTable<Row>(name, 'sums'), RECORDS, keys);
    });
  }

  it('never changes the records it is given (a source that hands out the same objects again)', async () => {
    const input = Array.from({ length: 3000 }, (_, n): Row => ({ key: n % 7, tag: `k${n % 7}`, v: n }));
    const before = JSON.stringify(input);
    const name = 'in-place-sum-input';
    const definition = job(name, (env) => {
      env.fromSource(sources.fromElements(input)).keyBy((r) => r.key).max('v').sinkTo(sinks.table<Row>('max', { key: 'key' }));
    });
    const result = await (await run(definition, { checkpointing: { intervalMs: 5 } })).done;
    assert.equal(result.status, 'finished');
    assert.equal(JSON.stringify(input), before, 'the input records are as they were');
    const rows = await readTable<Row>(name, 'max');
    assert.deepEqual(rows.map((r) => [r.key, r.v]).sort((a, b) => a[0]! - b[0]!), Array.from({ length: 7 }, (_, k) => [k, Math.max(...input.filter((r) => r.key === k).map((r) => r.v))]));
  });

  it('a table keyed by another field than the stream: rows shared by several keys hold the latest record written', async () => {
    // Keys 0…6 share the rows of 3 tags: the sink must not take a key's accumulator for the row's latest record
    // just because that accumulator was written to the row before (another key's may have been written since).
    const n = 3000;
    const keys = 7;
    const tagOf = (key: number) => `t${key % 3}`;
    const name = 'in-place-sum-shared-rows';
    const definition = job(name, (env) => {
      env.fromSource(sources.sequence({ from: 0, to: n }))
        .map((i): Row => ({ key: i % keys, tag: tagOf(i % keys), v: i }))
        .keyBy((r) => r.key)
        .sum('v')
        .sinkTo(sinks.table<Row>('by-tag', { key: 'tag' }));
    });
    const result = await (await run(definition, { checkpointing: { intervalMs: 5 } })).done;
    assert.equal(result.status, 'finished');
    const sums = expectedSums(n, keys);
    const expected = [0, 1, 2].map((t) => {
      let last = n - 1;
      while (tagOf(last % keys) !== `t${t}`) last--;
      return [`t${t}`, last % keys, sums.get(last % keys)!.sum];
    });
    const rows = await readTable<Row>(name, 'by-tag');
    assert.deepEqual(rows.map((r) => [r.tag, r.key, r.v]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))), expected);
  });

  it('emits a record per update where the output is held: an append table, a table keyed by the summed field, two consumers', async () => {
    const n = 2000;
    const name = 'in-place-sum-held';
    const definition = job(name, (env) => {
      const sums = env.fromSource(sources.sequence({ from: 0, to: n }))
        .map((i): Row => ({ key: i % 5, tag: 'x', v: 1 }))
        .keyBy((r) => r.key)
        .sum('v');
      env.fromSource(sources.sequence({ from: 0, to: n }))
        .map((i): Row => ({ key: i % 5, tag: 'y', v: 1 }))
        .keyBy((r) => r.key)
        .sum('v')
        .sinkTo(sinks.table<Row>('by-sum', { key: 'v' }));
      sums.sinkTo(sinks.table<Row>('every', {}));
      sums.sinkTo(sinks.table<Row>('latest', { key: 'key' }));
    });
    const result = await (await run(definition, { checkpointing: { intervalMs: 5 } })).done;
    assert.equal(result.status, 'finished');
    // Every running sum as it was when emitted: per key 1, 2, …, n / 5, each once.
    const every = await readTable<Row>(name, 'every');
    assert.equal(every.length, n);
    for (let k = 0; k < 5; k++) {
      assert.deepEqual(every.filter((r) => r.key === k).map((r) => r.v).sort((a, b) => a - b), Array.from({ length: n / 5 }, (_, i) => i + 1));
    }
    // Keyed by the sum: each row is the record emitted with that sum, not one changed since.
    const bySum = await readTable<Row>(name, 'by-sum');
    assert.deepEqual(bySum.map((r) => r.v).sort((a, b) => a - b), Array.from({ length: n / 5 }, (_, i) => i + 1));
    const latest = await readTable<Row>(name, 'latest');
    assert.deepEqual(latest.map((r) => [r.key, r.v]).sort((a, b) => a[0]! - b[0]!), Array.from({ length: 5 }, (_, k) => [k, n / 5]));
  });
});
