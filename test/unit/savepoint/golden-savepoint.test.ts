import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { MemoryCheckpointStorage, readSavepoint, readTable, run } from 'weir';
import { GOLDEN_KEYS, GOLDEN_NAME, goldenExpected, goldenJob, type GoldenRow } from '../../support/golden-savepoint-job.js';

// The golden savepoint: a file taken by Weir's savepoint format version 1 (test/fixtures/savepoints/).
// EVERY LATER VERSION OF WEIR MUST KEEP RESTORING IT — never regenerate it to make this test pass;
// a new format version adds a new golden file beside it and keeps this one's test.
// How it was taken: test/fixtures/savepoints/README.md.

const FILE = 'test/fixtures/savepoints/golden-counts-v1.weirsp';

describe('the golden savepoint (format version 1)', () => {
  it('reads without running anything: the job, its operators, each key\'s state and the source splits', () => {
    const contents = readSavepoint(readFileSync(FILE));
    assert.equal(contents.jobName, GOLDEN_NAME);
    assert.deepEqual(contents.operators.map((o) => o.uid).sort(), ['counts', 'counts-table', 'numbers', 'to-row']);
    const counts = contents.operators.find((o) => o.uid === 'counts')!;
    assert.equal(counts.parallelism, 2);
    assert.equal(counts.keyedState.size, GOLDEN_KEYS);
    let read = 0;
    for (const [key, states] of counts.keyedState) {
      const row = Object.values(states)[0] as GoldenRow;
      assert.equal(row.key, key);
      read += row.count;
    }
    assert.equal(read, 1_200, 'the two readers emitted 600 records each before the savepoint');
    assert.deepEqual(contents.operators.find((o) => o.uid === 'numbers')!.sourceSplits, [{ next: 1_200, step: 2, end: 4_000 }, { next: 1_201, step: 2, end: 4_000 }]);
  });

  for (const parallelism of [1, 3]) {
    it(`restores at parallelism ${parallelism} and finishes with every key's exact count and sum`, async () => {
      const storage = new MemoryCheckpointStorage();
      const handle = await run(goldenJob(), { storage, parallelism, resume: { savepoint: readFileSync(FILE) } });
      await handle.done;
      const rows = await readTable<GoldenRow>(GOLDEN_NAME, 'counts', { storage });
      assert.deepEqual(new Map(rows.map((r) => [r.key, r])), goldenExpected());
    });
  }
});
