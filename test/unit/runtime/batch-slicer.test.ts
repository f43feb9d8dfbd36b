import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BatchSlicer } from '../../../src/runtime/task/batch-slicer.js';

describe('BatchSlicer', () => {
  it('feeds whole batches while records cost no measurable time, then about a slice of them', () => {
    const slicer = new BatchSlicer(1);
    assert.equal(slicer.take(512), 512);
    slicer.record(512, 0);
    assert.equal(slicer.take(512), 512, 'a stopped clock (or a fast function): whole batches');
    slicer.record(512, 10); // 20 µs a record
    assert.equal(slicer.take(512), 102, '1 ms of the measured 10 ms per 1024 records');
    assert.equal(slicer.take(40), 40, 'a rest that fits the slice goes whole');
  });

  it('takes at least one record, and follows a function that speeds up', () => {
    const slicer = new BatchSlicer(1);
    slicer.record(2, 10);
    assert.equal(slicer.take(512), 1);
    for (let i = 0; i < 20; i++) slicer.record(512, 1);
    assert.ok(slicer.take(512) >= 256, `the slow records weigh less and less (${slicer.take(512)})`);
  });
});
