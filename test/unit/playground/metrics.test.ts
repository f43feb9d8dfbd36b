import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countDuplicates } from '../../../playground/src/output-check.js';
import { RateTracker } from '../../../playground/src/rates.js';
import { ReadProgress } from '../../../playground/src/read-progress.js';

const s = (vertexId: number, subtaskIndex: number, recordsIn: number, recordsOut: number, backpressured = 0) =>
  ({ subtask: { vertexId, subtaskIndex }, name: `v${vertexId}`, recordsIn, recordsOut, backpressured });

describe('playground metrics', () => {
  it('RateTracker sums the subtasks of a vertex, per second since the last sample, and counts a reset counter from 0', () => {
    const r = new RateTracker();
    r.update(1000, [s(0, 0, 0, 100), s(0, 1, 0, 100)], undefined);
    const second = r.update(2000, [s(0, 0, 0, 600, 3), s(0, 1, 0, 400)], 1000);
    assert.deepEqual(second.map((v) => [v.vertexId, v.outPerSecond, v.backpressuredPerSecond]), [[0, 800, 3]]);
    // A restart: the new attempt's task counted from 0 — 50 records in the half second since.
    const third = r.update(2500, [s(0, 0, 0, 50), s(0, 1, 0, 400)], 2000);
    assert.equal(third[0]!.outPerSecond, 100);
  });

  it('ReadProgress integrates records/s and tells how many were read since a moment', () => {
    const p = new ReadProgress();
    p.add(0, 0);
    p.add(1000, 100); // 100 read in the first second
    p.add(2000, 300); // 300 more
    assert.equal(p.at(500), 50);
    assert.equal(p.at(-1), undefined, 'before the first sample nothing is known');
    assert.equal(p.since(1000, 2000), 300);
    assert.equal(p.since(0, 2000), 400);
    assert.equal(p.since(1500, 2500), 300, 'after the last sample, at the last rate: 150 + 150');
    assert.equal(p.total(2000), 400);
  });

  it('countDuplicates counts rows sharing an id', () => {
    assert.deepEqual(countDuplicates([1, 2, 2, 3, 3, 3]), { rows: 6, distinct: 3, duplicates: 3, examples: ['2', '3', '3'] });
    const byWindow = countDuplicates([{ k: 'a', s: 0 }, { k: 'a', s: 5 }, { k: 'a', s: 0, n: 9 }], (r) => `${(r as { k: string }).k}@${(r as { s: number }).s}`);
    assert.equal(byWindow.duplicates, 1);
    assert.deepEqual(countDuplicates(['1', 1]).duplicates, 0, 'the string "1" and the number 1 are different ids');
  });
});
